@testable import EventLog
import Foundation
import Testing

extension Conformance {
    static let inspection =
        #"{"bridgeId":"MI0001","inspector":"ing. Giulia Ferrari","defects":[{"g":4,"photos":["a.jpg","b.jpg"],"notes":"x"},{"g":2}],"notes":"seen by G. Ferrari"}"#

    /// Redacting keeps every hash: verify stays intact, lists the redaction, and the record's
    /// payload is the tombstone wherever the event is read; the log goes on after it; only a
    /// recorded tombstone keeping the original digest is accepted.
    static func redaction(_ store: any EventStore) async throws {
        var batch = (0..<40).map { event("bridge-B\($0 % 5)", json: #"{"n":\#($0),"pad":"\#(String(repeating: "x", count: 300))"}"#) }
        batch.insert(event("bridge-MI0001", "BridgeInspected", json: inspection), at: 7)
        _ = try await store.append(batch)
        let last = try await store.append(event("bridge-MI0001", "BridgeInspected", json: inspection))
        let position: UInt64 = 8
        let head = try await store.headPosition()
        let original = try await store.read(from: position, limit: 1)[0]

        let record = try await store.redact(position: position, fields: ["inspector", "defects[*].photos"], reason: "GDPR request 1", by: "admin")
        #expect(record.sha256 == original.payload.sha256Hex && record.position == position && record.redactedBy == "admin")
        let redacted = try await store.read(from: position, limit: 1)[0]
        let text = String(decoding: redacted.payload, as: UTF8.self)
        #expect(!text.contains("Giulia") && !text.contains("a.jpg") && text.contains("seen by G. Ferrari"))
        #expect(text.hasPrefix(#"{"$redacted":{"bytes":\#(original.payload.count),"fields":["defects[*].photos","inspector"],"sha256":""#))
        #expect(redacted.hash == original.hash && redacted.id == original.id)
        #expect(try await store.readStream("bridge-MI0001", from: 0, limit: 1)[0].payload == redacted.payload)
        var report = try await store.verify()
        #expect(report.intact, "\(report.problem ?? "")")
        #expect(report.redacted == [position] && report.pendingRedactions == nil)

        // Again, with more fields: the original digest stays, the fields add up; the active segment too.
        _ = try await store.redact(position: position, fields: ["notes"], reason: "GDPR request 1, notes", by: "admin")
        _ = try await store.redact(position: last.positions[0], fields: ["inspector"], reason: "request 2", by: "admin")
        let twice = try #require(Redaction.tombstone(of: try await store.read(from: position, limit: 1)[0].payload))
        #expect(twice.sha256 == original.payload.sha256Hex && twice.fields == ["defects[*].photos", "inspector", "notes"])
        _ = try await store.append(event("bridge-B1", json: #"{"after":true}"#))
        report = try await store.verify()
        #expect(report.intact, "\(report.problem ?? "")")
        #expect(report.redacted == [position, last.positions[0]])
        #expect(try await store.headPosition() == head + 4)
        #expect(try await LogRedaction.recorded(in: store).map(\.position) == [position, position, last.positions[0]])

        // Nothing else may change a payload: not a tombstone, another digest, no record.
        let forged = Data(#"{"$redacted":{"bytes":10,"fields":["n"],"sha256":"\#(String(repeating: "0", count: 64))"},"n":1}"#.utf8)
        await #expect(throws: EventStoreError.self) { try await store.applyRedaction(position: 1, payload: forged) }
        await #expect(throws: EventStoreError.self) { try await store.applyRedaction(position: 1, payload: Data(#"{"n":2}"#.utf8)) }
        let first = try await store.read(from: 1, limit: 1)[0]
        let unrecorded = try Redaction.redact(first.payload, fields: ["pad"])
        await #expect(throws: EventStoreError.self) { try await store.applyRedaction(position: 1, payload: unrecorded) }
        #expect(try await store.read(from: 1, limit: 1)[0].payload == first.payload)
        // … and an appender cannot pass a payload off as a tombstone.
        await #expect(throws: EventStoreError.self) { try await store.append(event("bridge-B1", json: String(decoding: unrecorded, as: UTF8.self))) }
        // Facts are not redacted; unknown fields are named.
        await #expect(throws: EventStoreError.self) { try await store.redact(position: 1, fields: ["n"], reason: "r", by: "a") }
        await #expect(throws: EventStoreError.self) { try await store.redact(position: 1, fields: ["nope"], reason: "r", by: "a") }

        // A redacted log copies verbatim and verifies there too.
        let copy = InMemoryEventStore()
        try await copy.appendVerbatim(try await store.read(from: 1, limit: 10_000))
        let copied = try await copy.verify()
        #expect(copied.intact && copied.redacted == [position, last.positions[0]], "\(copied.problem ?? "")")
    }
}

extension Data {
    var sha256Hex: String { RecordCodec.payloadDigest(self).data.hex }
}
