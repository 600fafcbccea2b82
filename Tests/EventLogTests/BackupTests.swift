@testable import EventLog
import Foundation
import Testing

/// Backups taken while a writer appends are consistent (a prefix of the log, proved by head
/// position and hash); a restore checks every file and proves the same head.
@Suite("Embedded store: backup and restore")
struct BackupTests {
    @Test func aBackupDuringAppendsIsAVerifiedPrefixAndRestoresToTheSameHead() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var options = SegmentStore.Options(segmentSize: 64 << 10)
        options.maxBlockBytes = 4 << 10
        let store = try SegmentStore(directory: dir.path + "/log", options: options)
        for b in 0..<20 {
            try await store.append((0..<50).map { SegmentStoreRecoveryTests.ev("bridge-\($0 % 9)", b * 50 + $0) })
        }
        // Appends go on while the backup is taken.
        let writer = Task {
            for b in 20..<120 { try await store.append((0..<50).map { SegmentStoreRecoveryTests.ev("bridge-\($0 % 9)", b * 50 + $0) }) }
        }
        let manifest = try await Backup.make(from: dir.path + "/log", to: dir.path + "/backup")
        try await writer.value
        #expect(manifest.head >= 1000 && manifest.head <= 6000)
        #expect(manifest.files.filter { $0.name.hasPrefix("segment-") }.count >= 2, "sealed segments and the active one")
        // The backup is the log as it was at its head.
        let source = try await store.read(from: manifest.head, limit: 1)[0]
        #expect(source.hash.hex == manifest.headHash)
        store.close()

        let restored = try await Backup.restore(from: dir.path + "/backup", to: dir.path + "/restored")
        #expect(restored == manifest)
        let r = try SegmentStore(directory: dir.path + "/restored")
        #expect(try await r.headPosition() == manifest.head)
        #expect(try await r.verify().intact)
        // The restored log takes appends (a writable open, index rebuilt).
        #expect(try await r.append(SegmentStoreRecoveryTests.ev("bridge-1", 0)).positions == [manifest.head + 1])
        r.close()

        // Nothing is overwritten; a damaged backup file is refused by name.
        await #expect(throws: Backup.Failure.self) { _ = try await Backup.restore(from: dir.path + "/backup", to: dir.path + "/restored") }
        let seg = dir.path + "/backup/" + manifest.files[0].name
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: seg)))
        bytes[100] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: seg))
        await #expect {
            _ = try await Backup.restore(from: dir.path + "/backup", to: dir.path + "/again")
        } throws: { e in "\(e)".contains(manifest.files[0].name) && "\(e)".contains("SHA-256") }
    }
}
