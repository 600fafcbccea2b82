@testable import EventLog
import Foundation
import Testing

/// The end of the log under damage: an open cuts only what the evidence shows was never
/// acknowledged (a write cut short by a crash), moves it to the quarantine and records the
/// cut in the log; everything else stops a writable open, and read-only opens change nothing.
@Suite("Embedded store: torn tails, damage at the tail, quarantine")
struct TornTailTests {
    /// A log of 12 commits of 9 events each, blocks of about 600 raw bytes (several blocks per
    /// commit), closed cleanly. Returns the acknowledged events, the segment's path and the
    /// offsets of every block (with its header) in order.
    struct Fixture {
        var dir: TempDirectory
        var events: [RecordedEvent]
        var segment: String
        var blocks: [(offset: UInt64, header: SegmentFormat.BlockHeader)]
        var dataEnd: UInt64
        var options: SegmentStore.Options

        var bytes: [UInt8] { get throws { [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment))) } }
        func write(_ b: [UInt8]) throws { try Data(b).write(to: URL(fileURLWithPath: segment)) }
        /// As if the process had died: no clean-shutdown record.
        func crash() { unlink(dir.path + "/" + CleanShutdown.fileName) }
        /// Every file of the folder and its bytes.
        func folderBytes() throws -> [String: Data] {
            var out: [String: Data] = [:]
            for n in try FileManager.default.subpathsOfDirectory(atPath: dir.path) {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: dir.path + "/" + n, isDirectory: &isDir), !isDir.boolValue {
                    out[n] = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + n))
                }
            }
            return out
        }
        var lastCommitBlocks: [(offset: UInt64, header: SegmentFormat.BlockHeader)] {
            let ends = blocks.indices.filter { blocks[$0].header.flags & SegmentFormat.flagCommitEnd != 0 }
            return Array(blocks[(ends.dropLast().last.map { $0 + 1 } ?? 0)...])
        }
    }

    static func fixture(preallocate: Bool = true) async throws -> Fixture {
        let dir = TempDirectory()
        var options = SegmentStore.Options()
        options.maxBlockBytes = 600
        options.preallocate = preallocate
        let store = try SegmentStore(directory: dir.path, options: options)
        for c in 0..<12 {
            let batch = (0..<9).map { i in
                ProposedEvent(
                    stream: "bridge-\(i % 4)", type: "Tick",
                    payload: Data(#"{"commit":\#(c),"i":\#(i),"note":"observed on site, value \#(c * 100 + i)"}"#.utf8), actor: "t")
            }
            try await store.append(batch)
        }
        let events = try await store.read(from: 1, limit: 1000)
        let dataEnd = try await store.stats().bytes
        store.close()
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("segment-") }.sorted().last)
        let path = dir.path + "/" + segment
        let all = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var blocks: [(UInt64, SegmentFormat.BlockHeader)] = []
        var at = UInt64(SegmentFormat.headerSize)
        while at < dataEnd {
            let h = try #require(all.withUnsafeBytes { SegmentFormat.parseBlockHeader(UnsafeRawBufferPointer(rebasing: $0[Int(at)...])) })
            blocks.append((at, h))
            at += h.frameLength
        }
        #expect(at == dataEnd)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/" + CleanShutdown.fileName))
        return Fixture(dir: dir, events: events, segment: path, blocks: blocks, dataEnd: dataEnd, options: options)
    }

    /// Opens writable: either it refuses with `.corruption` and changes nothing, or every
    /// acknowledged event is still there byte for byte. Returns the store when it opened.
    static func openKeepsAcknowledged(
        _ f: Fixture, expectRefusal: Bool, acknowledged: Int? = nil, _ comment: Comment
    ) async throws -> SegmentStore? {
        let before = try f.folderBytes()
        do {
            let store = try SegmentStore(directory: f.dir.path, options: f.options)
            #expect(!expectRefusal, "opened over damage: \(comment)")
            let read = try await store.read(from: 1, limit: 1000)
            let kept = acknowledged ?? f.events.count
            #expect(Array(read.prefix(kept)) == Array(f.events.prefix(kept)), "acknowledged events changed: \(comment)")
            return store
        } catch let e as EventStoreError {
            #expect(expectRefusal, "refused a torn write: \(e) (\(comment))")
            #expect(e.code == .corruption, "\(comment)")
            #expect(e.message.contains("presidio log repair"), "\(comment)")
            #expect(try f.folderBytes() == before, "a refused open changed files: \(comment)")
            return nil
        }
    }

    /// A read-only open and verify leave every byte as found and report the tail.
    static func readOnlyReports(_ f: Fixture, kind: TailFinding.Kind?, _ comment: Comment) async throws {
        let before = try f.folderBytes()
        let reader = try SegmentStore(directory: f.dir.path, options: .init(readOnly: true))
        let report = try await reader.verify()
        reader.close()
        #expect(report.tail?.kind == kind, "\(comment): \(report)")
        #expect(report.intact == (kind == nil), "\(comment)")
        #expect(try f.folderBytes() == before, "a read-only open changed files: \(comment)")
    }

    /// A flipped bit anywhere in the last committed block, or in any block of the last
    /// commit, is damage: never cut, crash or not; read-only verify reports it.
    @Test(arguments: [true, false])
    func flipsInTheLastCommitAreDamageNeverCut(crashed: Bool) async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        let original = try f.bytes
        let last = f.blocks[f.blocks.count - 1]
        let frameLength = Int(last.header.frameLength)
        // Every offset class of the last block: magic, flags, count, position, lengths, CRC,
        // stored bytes (the last record's among them), length suffix; then one byte of each
        // earlier block of the last commit.
        var targets = [0, 4, 5, 9, 17, 21, 25, 29, 30, frameLength / 2, frameLength - 40, frameLength - 5, frameLength - 4, frameLength - 1]
            .map { Int(last.offset) + $0 }
        for b in f.lastCommitBlocks.dropLast() { targets.append(Int(b.offset) + Int(b.header.frameLength) / 2) }
        for (k, t) in targets.enumerated() {
            var b = original
            b[t] ^= k % 2 == 0 ? 0x01 : 0x80
            try f.write(b)
            if crashed { f.crash() }
            try await Self.readOnlyReports(f, kind: .damage, "flip at \(t)")
            let store = try await Self.openKeepsAcknowledged(f, expectRefusal: true, "flip at \(t)")
            store?.close()
        }
    }

    /// Truncation inside the last commit after a crash is a torn write: the incomplete commit
    /// goes to the quarantine, recorded in the log. After a clean shutdown the same bytes
    /// missing are damage: acknowledged events are missing, and the open refuses.
    @Test(arguments: [true, false])
    func truncationsInsideTheLastCommit(crashed: Bool) async throws {
        let f = try await Self.fixture(preallocate: false)
        defer { f.dir.remove() }
        let original = try f.bytes
        let commit = f.lastCommitBlocks
        #expect(commit.count >= 2, "the last commit spans several blocks")
        let start = commit[0].offset
        // At every block boundary inside the commit, inside headers, inside stored bytes, and one byte short.
        var cuts: [UInt64] = commit.dropFirst().map(\.offset)
        for b in commit { cuts += [b.offset + 3, b.offset + 20, b.offset + b.header.frameLength / 2] }
        cuts.append(f.dataEnd - 1)
        for cut in cuts {
            try f.write(Array(original[..<Int(cut)]))
            f.crash()
            if !crashed {
                try CleanShutdown(
                    segment: (f.segment as NSString).lastPathComponent, dataEnd: f.dataEnd, head: 108, headHash: f.events.last!.hash.hex
                ).write(directory: f.dir.path)
            }
            try await Self.readOnlyReports(f, kind: crashed ? .tornWrite : .damage, "cut at \(cut)")
            // The torn commit's events (101…108 in the fixture) were never acknowledged in this story.
            let store = try await Self.openKeepsAcknowledged(f, expectRefusal: !crashed, acknowledged: 99, "cut at \(cut)")
            if let store {
                // The 9 events of the torn commit were never acknowledged: they are gone, and the cut is recorded.
                #expect(try await store.headPosition() == 100)
                let repair = try #require(store.recovery.repair)
                // The cut ends at the last non-zero byte (zeros are what a torn write leaves anyway).
                var end = Int(cut)
                while end > Int(start), original[end - 1] == 0 { end -= 1 }
                #expect(repair.offset == start && repair.bytes == UInt64(end) - start && repair.lastKeptPosition == 99)
                let recorded = try await store.readStream(LogRecords.repairStream, from: 0, limit: 10)
                #expect(recorded.count == 1 && recorded[0].position == 100)
                #expect(try JSONDecoder().decode(LogRepair.self, from: recorded[0].payload) == repair)
                let quarantined = [UInt8](try Data(contentsOf: URL(fileURLWithPath: f.dir.path + "/" + repair.quarantine)))
                #expect(quarantined == Array(original[Int(start)..<end]))
                #expect(RecordCodec.payloadDigest(Data(quarantined)).data.hex == repair.sha256)
                #expect(try await store.verify().intact)
                store.close()
                // Put the original back for the next cut.
                try FileManager.default.removeItem(atPath: f.dir.path + "/" + Quarantine.folder)
            }
            try f.write(original)
        }
    }

    /// After a clean shutdown, truncation at a commit boundary (a whole acknowledged commit
    /// gone) is detected and refused; `log repair` records the loss.
    @Test func truncationAtACommitBoundaryAfterACleanShutdownIsMissingEvents() async throws {
        let f = try await Self.fixture(preallocate: false)
        defer { f.dir.remove() }
        try f.write(Array(try f.bytes[..<Int(f.lastCommitBlocks[0].offset)]))
        try await Self.readOnlyReports(f, kind: .damage, "commit boundary")
        _ = try await Self.openKeepsAcknowledged(f, expectRefusal: true, "commit boundary")
        var repair = f.options
        repair.repairDamage = true
        let store = try SegmentStore(directory: f.dir.path, options: repair)
        defer { store.close() }
        let r = try #require(store.recovery.repair)
        #expect(r.kind == "manual" && r.missingPositions == 9 && r.bytes == 0)
        #expect(try await store.readStream(LogRecords.repairStream, from: 0, limit: 10).count == 1)
    }

    /// Zeros after the last commit are nothing; garbage is damage; a block header whose frame
    /// runs past the end of the written bytes is a torn write after a crash only.
    @Test func zerosGarbageAndPartialFramesAfterTheLastCommit() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        let original = try f.bytes
        #expect(original.count > Int(f.dataEnd), "zeros written ahead")
        for crashed in [false, true] {
            try f.write(original)
            if crashed { f.crash() }
            try await Self.readOnlyReports(f, kind: nil, "zeros only")

            var garbage = original
            for k in 0..<100 { garbage[Int(f.dataEnd) + k] = UInt8(truncatingIfNeeded: 0xA5 + k) }
            try f.write(garbage)
            try await Self.readOnlyReports(f, kind: .damage, "garbage")
            _ = try await Self.openKeepsAcknowledged(f, expectRefusal: true, "garbage")

            // The first half of a block of the next commit (a commit cut short), zeros after:
            // a copy of the last commit's first block with its position moved on.
            let block = f.lastCommitBlocks[0]
            var frame = Array(original[Int(block.offset)..<Int(block.offset + block.header.frameLength)])
            let next = UInt64(109)
            for k in 0..<8 { frame[9 + k] = UInt8(truncatingIfNeeded: next >> (8 * k)) }
            let half = frame.count / 2
            var partial = original
            partial.replaceSubrange(Int(f.dataEnd)..<Int(f.dataEnd) + half, with: frame[..<half])
            try f.write(partial)
            try await Self.readOnlyReports(f, kind: crashed ? .tornWrite : .damage, "partial frame")
            let store = try await Self.openKeepsAcknowledged(f, expectRefusal: !crashed, "partial frame")
            if let store {
                #expect(store.recovery.repair?.bytes == UInt64(half))
                #expect(try await store.headPosition() == 109)
                store.close()
                // Reopened (a clean shutdown now), the repair is not recorded twice.
                let again = try SegmentStore(directory: f.dir.path, options: f.options)
                #expect(again.recovery.repair == nil)
                #expect(try await again.readStream(LogRecords.repairStream, from: 0, limit: 10).count == 1)
                again.close()
                try FileManager.default.removeItem(atPath: f.dir.path + "/" + Quarantine.folder)
            }
        }
    }

    /// A crash between the cut and its record: the quarantine's description is recorded at the
    /// next writable open.
    @Test func aCutNotYetRecordedIsRecordedAtTheNextOpen() async throws {
        let f = try await Self.fixture(preallocate: false)
        defer { f.dir.remove() }
        f.crash()
        let name = (f.segment as NSString).lastPathComponent
        let last = f.lastCommitBlocks[0].offset
        let repair = try Quarantine.cut(
            directory: f.dir.path, segment: name, offset: last, end: f.dataEnd, kind: "tornWrite", lastKeptPosition: 99,
            missingPositions: 0, reason: "test")
        var store = try SegmentStore(directory: f.dir.path, options: f.options)
        let recorded = try await store.readStream(LogRecords.repairStream, from: 0, limit: 10)
        #expect(recorded.count == 1)
        #expect(try JSONDecoder().decode(LogRepair.self, from: recorded[0].payload) == repair)
        store.close()
        // A description edited afterwards does not stop the store from opening; the log's record stands.
        let json = f.dir.path + "/" + String(repair.quarantine.dropLast(4)) + ".json"
        try (try String(contentsOfFile: json, encoding: .utf8)).replacingOccurrences(of: "\"test\"", with: "\"edited\"")
            .write(toFile: json, atomically: true, encoding: .utf8)
        store = try SegmentStore(directory: f.dir.path, options: f.options)
        defer { store.close() }
        let again = try await store.readStream(LogRecords.repairStream, from: 0, limit: 10)
        #expect(again == recorded)
    }

    /// An audit beside a running writer (commits, multi-block commits and segment rolls in
    /// flight) never reports damage or a torn tail: it sees a committed prefix that verifies.
    @Test func readOnlyVerifyBesideABusyWriterSeesNoDamage() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var options = SegmentStore.Options(segmentSize: 256 << 10)
        options.maxBlockBytes = 2 << 10
        let store = try SegmentStore(directory: dir.path, options: options)
        try await store.append((0..<50).map { SegmentStoreRecoveryTests.ev("bridge-\($0 % 5)", $0) })
        let writer = Task {
            var k = 0
            while !Task.isCancelled && k < 4000 {
                try await store.append((0..<(1 + k % 40)).map { SegmentStoreRecoveryTests.ev("bridge-\($0 % 5)", k * 100 + $0) })
                k += 1
            }
        }
        var heads: [UInt64] = []
        for _ in 0..<30 {
            let reader = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
            let report = try await reader.verify()
            reader.close()
            #expect(report.intact, "\(report)")
            heads.append(report.headPosition)
        }
        writer.cancel()
        _ = try? await writer.value
        store.close()
        #expect(heads.last! > heads.first!, "the writer was busy during the audits")
    }

    /// Damage with valid blocks after it is inside the log, even in the active segment.
    @Test func damageFollowedByValidBlocksIsInsideTheLog() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        var b = try f.bytes
        b[Int(f.blocks[3].offset) + 40] ^= 0x10
        try f.write(b)
        f.crash()
        let reader = try SegmentStore(directory: f.dir.path, options: .init(readOnly: true))
        let report = try await reader.verify()
        reader.close()
        #expect(report.tail?.validBlocksFollow == true && !report.intact)
        _ = try await Self.openKeepsAcknowledged(f, expectRefusal: true, "damage inside")
    }
}
