@testable import EventLog
import Foundation
import Testing

@Suite("Conformance: embedded segment store")
struct EmbeddedConformanceTests {
    @Test(arguments: Conformance.names)
    func conformance(_ name: String) async throws {
        let dir = TempDirectory("conf")
        defer { dir.remove() }
        // Small segments so every case also crosses segment boundaries.
        let store = try SegmentStore(directory: dir.path, options: .init(segmentSize: 8 << 10))
        try await Conformance.cases[name]!(store)
        await store.close()
        // Everything must survive a reopen, and still verify.
        let reopened = try SegmentStore(directory: dir.path, options: .init(segmentSize: 8 << 10))
        defer { reopened.close() }
        #expect(try await reopened.verify().intact)
    }
}
