@testable import EventLog
import Foundation
import Testing

/// Signed checkpoints: a log must still extend every checkpoint an auditor kept; a truncated
/// tail, a rewritten past, another log or an altered checkpoint fails with where and why.
@Suite("Signed checkpoints")
struct CheckpointTests {
    static func ev(_ i: Int, _ text: String = "x") -> ProposedEvent {
        ProposedEvent(stream: "bridge-\(i % 3)", type: "T", payload: Data(#"{"i":\#(i),"t":"\#(text)"}"#.utf8), actor: "t")
    }

    static func checkpoint(_ store: any EventStore, _ key: SigningKey) async throws -> Checkpoint {
        let head = try await store.headPosition()
        let first = try await store.read(from: 1, limit: 1)[0]
        let last = try await store.read(from: head, limit: 1)[0]
        let c = try Checkpoint.sign(logId: first.hash.hex, position: head, headHash: last.hash.hex, time: "2026-11-30T10:00:00Z", key: key)
        try await store.append([c.event])
        return c
    }

    @Test func aLogThatGrewStillExtendsItsCheckpointsAndTheRecordIsAppendedOnce() async throws {
        let store = InMemoryEventStore()
        let key = SigningKey()
        for i in 0..<10 { try await store.append([Self.ev(i)]) }
        let c = try await Self.checkpoint(store, key)
        #expect(c.position == 10)
        for i in 10..<20 { try await store.append([Self.ev(i)]) }
        #expect(try await c.proof(in: store) == nil)
        #expect(try await c.proof(in: store, expectedKey: key.publicKeyPEM) == nil)
        // Appending the same checkpoint again is a no-op (its id derives from its message).
        let again = try await store.append([c.event])
        #expect(again.appended == 0)
        #expect(try await store.readStream(LogRecords.checkpointStream, from: 0, limit: 10).count == 1)
    }

    @Test func alteredCheckpointsAndOtherKeysFail() async throws {
        let store = InMemoryEventStore()
        let key = SigningKey()
        for i in 0..<5 { try await store.append([Self.ev(i)]) }
        let c = try await Self.checkpoint(store, key)
        var moved = c
        moved.position = 3
        moved.message = Checkpoint.message(logId: c.logId, position: 3, headHash: c.headHash, time: c.time)
        #expect(try await moved.proof(in: store) == Checkpoint.Problem.badSignature.description)
        var edited = c
        edited.position = 4
        #expect(try await edited.proof(in: store)?.contains("differ from the signed message") == true)
        let other = SigningKey()
        #expect(try await c.proof(in: store, expectedKey: other.publicKeyPEM)?.contains("not the expected one") == true)
        // A key read back from its PEM signs as the original.
        let reread = try SigningKey(pem: key.pem)
        #expect(reread.publicKeyPEM == key.publicKeyPEM)
        #expect(throws: Checkpoint.Problem.self) { try SigningKey(pem: key.publicKeyPEM) }
    }

    /// The log cut cleanly at a record boundary behind the checkpoint (undetectable by the log
    /// alone after a crash) fails the proof, naming the removed positions.
    @Test func aTruncatedTailFailsTheProof() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let key = SigningKey()
        var store = try SegmentStore(directory: dir.path)
        for i in 0..<12 { try await store.append([Self.ev(i)]) }
        let boundary = try await store.stats().bytes  // after position 12
        for i in 12..<20 { try await store.append([Self.ev(i)]) }
        let c = try await Self.checkpoint(store, key)
        store.close()
        let seg = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("segment-") })
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.path + "/" + seg))
        try fh.truncate(atOffset: boundary)
        try fh.close()
        unlink(dir.path + "/" + CleanShutdown.fileName)
        store = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        defer { store.close() }
        #expect(try await store.verify().intact, "the log alone cannot tell")
        let problem = try #require(try await c.proof(in: store))
        #expect(problem.contains("ends at position 12") && problem.contains("13…20"))
    }

    /// A past rewritten with a consistent chain (every hash recomputed) fails at the checkpoint;
    /// a log that is not this one is named so.
    @Test func aRewrittenPastAndAnotherLogFailTheProof() async throws {
        let key = SigningKey()
        let original = InMemoryEventStore()
        for i in 0..<10 { try await original.append([Self.ev(i)]) }
        let c = try await Self.checkpoint(original, key)
        // The same first 6 records, byte for byte, then other ones: a consistent rewrite.
        let rewritten = InMemoryEventStore()
        try await rewritten.appendVerbatim(try await original.read(from: 1, limit: 6))
        for i in 6..<12 { try await rewritten.append([Self.ev(i, "rewritten")]) }
        #expect(try await rewritten.verify().intact)
        #expect(try await c.proof(in: rewritten)?.contains("rewritten at or before 10") == true)
        let other = InMemoryEventStore()
        for i in 0..<12 { try await other.append([Self.ev(i)]) }
        #expect(try await c.proof(in: other)?.hasPrefix("another log") == true)
    }
}
