@testable import EventLog
import Foundation
import Testing

@Suite("Redaction: tombstones, the ledger, copies")
struct RedactionTests {
    @Test func pathsReachNestedTextsAndRefuseFacts() throws {
        let payload = Data(Conformance.inspection.utf8)
        let out = try Redaction.redact(payload, fields: ["defects[0].notes", "defects[*].photos"])
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#""defects":[{"g":4,"photos":[],"notes":"[redacted]"},{"g":2}]"#))
        #expect(text.contains(#""inspector":"ing. Giulia Ferrari""#))
        let t = try #require(Redaction.tombstone(of: out))
        #expect(t.bytes == payload.count && t.fields == ["defects[*].photos", "defects[0].notes"])
        // Without the marker the rest is plain JSON again, members in their order.
        let plain = String(decoding: Redaction.withoutMarker(out), as: UTF8.self)
        #expect(plain.hasPrefix(#"{"bridgeId":"MI0001","inspector""#))
        #expect((try? JSONSerialization.jsonObject(with: out)) != nil)
        for (field, why) in [
            ("defects[*].g", "a number"), ("defects", "list of numbers or objects"), ("missing", "not in the payload"),
            ("defects[x].notes", "[N] or [*]"), ("a..b", "field name"),
        ] {
            #expect { _ = try Redaction.redact(payload, fields: [field]) } throws: { "\($0)".contains(why) }
        }
        #expect { _ = try Redaction.redact(payload, fields: []) } throws: { "\($0)".contains("at least one") }
        // A wildcard that finds nothing redacts nothing there, but something must be redacted.
        #expect(try Redaction.redact(payload, fields: ["inspector", "defects[*].missing"]).count > 0)
        #expect { _ = try Redaction.redact(payload, fields: ["defects[*].missing"]) } throws: { "\($0)".contains("match no value") }
    }

    @Test func aTombstoneNobodyRecordedFailsVerificationAndAPendingOneIsFinished() async throws {
        let store = InMemoryEventStore()
        _ = try await store.append((0..<5).map { Conformance.event("bridge-B\($0)", json: Conformance.inspection) })
        // A tamperer who knows the format: the chain checks, the missing record does not.
        let original = try await store.read(from: 3, limit: 1)[0].payload
        store.overwritePayload(position: 3, payload: try Redaction.redact(original, fields: ["inspector"]))
        var report = try await store.verify()
        #expect(!report.intact && report.firstBadPosition == 3 && report.problem!.contains("no LogRedacted record"))
        // A tombstone claiming another digest breaks the chain itself.
        let lie = String(decoding: try Redaction.redact(original, fields: ["inspector"]), as: UTF8.self).replacingOccurrences(
            of: RecordCodec.payloadDigest(original).data.hex, with: String(repeating: "a", count: 64))
        store.overwritePayload(position: 3, payload: Data(lie.utf8))
        report = try await store.verify()
        #expect(!report.intact && report.problem!.contains("hash chain break"))
        store.overwritePayload(position: 3, payload: original)
        #expect(try await store.verify().intact)

        // Recorded, then a crash before the rewrite: reported pending, finished on request.
        let e = try await store.read(from: 4, limit: 1)[0]
        let record = LogRedaction(
            position: 4, eventId: e.id, stream: e.stream, type: e.type, fields: ["inspector"], sha256: RecordCodec.payloadDigest(e.payload).data.hex,
            reason: "r", redactedBy: "admin", redactedAt: "2026-11-30T00:00:00Z")
        _ = try await store.append(record.event)
        report = try await store.verify()
        #expect(report.intact && report.pendingRedactions == [4] && report.redacted == nil)
        #expect(try await store.completePendingRedactions() == [4])
        report = try await store.verify()
        #expect(report.intact && report.pendingRedactions == nil && report.redacted == [4])
        #expect(try await store.completePendingRedactions().isEmpty)
    }

    /// `log copy` of a redacted log into the embedded store: its writer chains the tombstone
    /// as the original (the copy's hashes are the source's), and the copy reopens intact.
    @Test func aRedactedLogCopiesIntoTheEmbeddedStore() async throws {
        let source = InMemoryEventStore()
        _ = try await source.append((0..<300).map { Conformance.event("bridge-B\($0 % 9)", json: Conformance.inspection) })
        for p: UInt64 in [1, 150, 300] { _ = try await source.redact(position: p, fields: ["inspector", "notes"], reason: "r", by: "admin") }
        let dir = TempDirectory("redact-copy")
        defer { dir.remove() }
        var copy = try SegmentStore(directory: dir.path, options: .init(segmentSize: 32 << 10))
        let events = try await source.read(from: 1, limit: 10_000)
        for chunk in stride(from: 0, to: events.count, by: 97) { try await copy.appendVerbatim(Array(events[chunk..<min(events.count, chunk + 97)])) }
        #expect(try await copy.stats().headHash == (try await source.stats().headHash))
        copy.close()
        copy = try SegmentStore(directory: dir.path, options: .init(segmentSize: 32 << 10))
        defer { copy.close() }
        let report = try await copy.verify()
        #expect(report.intact && report.redacted == [1, 150, 300], "\(report.problem ?? "")")
        // Redacting in the copy rewrites a sealed segment there, and appends go on.
        _ = try await copy.redact(position: 2, fields: ["defects[*].photos"], reason: "r", by: "admin")
        _ = try await copy.append(Conformance.event("bridge-B1"))
        let after = try await copy.verify()
        #expect(after.intact && after.redacted == [1, 2, 150, 300], "\(after.problem ?? "")")
    }
}
