import EventLog
import Foundation
import Synchronization
import Testing

/// SIGKILL a writer at random moments: every acknowledged event must be there afterwards.
@Suite("Crash safety (kill -9)", .serialized)
struct CrashSafetyTests {
    @Test(.timeLimit(.minutes(3)))
    func acknowledgedAppendsSurviveSIGKILL() async throws {
        let dir = TempDirectory("crash")
        defer { dir.remove() }
        var rng = SystemRandomNumberGenerator()
        var totalAcked = 0
        for round in 0..<8 {
            // Odd rounds: large batches from a few tasks, so commits span several blocks, are
            // indexed on the other core and queue up behind the sync thread. From round 4 on,
            // 64 KiB segments: the writer seals segments and saves index parts as it is killed.
            let (tasks, batch) = round % 2 == 0 ? (8, 3) : (3, 700)
            let acks = try Self.runAndKill(
                dataDir: dir.path, tasks: tasks, batch: batch, segmentBytes: round >= 4 ? 64 << 10 : nil,
                afterMilliseconds: Int.random(in: 30...400, using: &rng))
            #expect(!acks.isEmpty, "round \(round): the writer acknowledged nothing before the kill")
            totalAcked += acks.count
            let store = try SegmentStore(directory: dir.path)
            for (position, id) in acks {
                let found = try await store.position(ofEventId: id)
                #expect(found == position, "round \(round): acknowledged event \(id) at \(position) is \(found.map(String.init) ?? "missing")")
            }
            let report = try await store.verify()
            #expect(report.intact, "round \(round): \(report)")
            #expect(report.headPosition >= UInt64(acks.map(\.0).max() ?? 0))
            store.close()
            if round >= 4 {
                // Every sealed segment has its index part now (saved before the kill, or
                // rebuilt by the open above), and a second open uses them all.
                let segments = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("segment-") }
                let reopened = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
                #expect(reopened.recovery.indexParts == segments.count - 1, "round \(round): \(reopened.recovery)")
                for (position, id) in acks.suffix(50) { #expect(try await reopened.position(ofEventId: id) == position) }
                reopened.close()
            }
        }
        #expect(totalAcked > 0)
    }

    /// Starts `presidio debug crash-writer`, lets it run, kills it with SIGKILL and returns the
    /// complete `ack` lines it printed (each printed only after its append was durable).
    static func runAndKill(dataDir: String, tasks: Int, batch: Int, segmentBytes: Int? = nil, afterMilliseconds ms: Int) throws -> [(UInt64, UUID)] {
        let p = Process()
        p.executableURL = PresidioBinary.url
        p.arguments =
            ["debug", "crash-writer", "--data", dataDir, "--tasks", String(tasks), "--batch", String(batch)]
            + (segmentBytes.map { ["--segment-bytes", String($0)] } ?? [])
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let collected = Mutex(Data())
        let reader = Thread {
            while true {
                let d = out.fileHandleForReading.availableData
                if d.isEmpty { break }
                collected.withLock { $0.append(d) }
            }
        }
        reader.start()
        // Wait for "ready", then let it write for a while.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !collected.withLock({ String(decoding: $0, as: UTF8.self).contains("ready") }) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Kill only once appends are being acknowledged (on a loaded machine the first large
        // commit can take longer than the shortest delay), then at a random moment after.
        while Date() < deadline, !collected.withLock({ String(decoding: $0, as: UTF8.self).contains("\nack ") }) {
            Thread.sleep(forTimeInterval: 0.002)
        }
        Thread.sleep(forTimeInterval: Double(ms) / 1000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let text = collected.withLock { String(decoding: $0, as: UTF8.self) }
        var acks: [(UInt64, UUID)] = []
        // Only complete lines count: a line cut by the kill was never fully printed.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for line in lines where line.hasPrefix("ack ") {
            let parts = line.split(separator: " ")
            if parts.count == 3, let pos = UInt64(parts[1]), let id = UUID(uuidString: String(parts[2])) { acks.append((pos, id)) }
        }
        return acks
    }
}
