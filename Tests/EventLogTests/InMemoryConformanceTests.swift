import EventLog
import Foundation
import Testing

/// The in-memory twin passes the same conformance suite as the two real stores.
@Suite("Conformance: in-memory store")
struct InMemoryConformanceTests {
    @Test(arguments: Conformance.names)
    func conformance(_ name: String) async throws {
        let store = InMemoryEventStore()
        defer { store.close() }
        try await Conformance.cases[name]!(store)
        #expect(try await store.verify().intact)
    }

    /// A copy from a real store continues the chain byte for byte (what `log copy` relies on).
    @Test func verbatimCopyFromTheEmbeddedStoreKeepsTheHeadHash() async throws {
        let dir = TempDirectory("mem")
        defer { dir.remove() }
        let disk = try SegmentStore(directory: dir.path)
        defer { disk.close() }
        _ = try await disk.append((0..<50).map { Conformance.event("bridge-MI\($0 % 7)", json: #"{"n":\#($0)}"#) })
        let memory = InMemoryEventStore()
        try await memory.appendVerbatim(try await disk.read(from: 1, limit: 100))
        #expect(try await memory.stats().headHash == (try await disk.stats().headHash))
        #expect(try await memory.verify().intact)
        let tampered = try await disk.read(from: 1, limit: 1).map { e -> RecordedEvent in
            var x = e; x.position = 51; return x
        }
        await #expect(throws: EventStoreError.self) { try await memory.appendVerbatim(tampered) }
    }
}
