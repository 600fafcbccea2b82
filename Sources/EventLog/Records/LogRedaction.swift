import Foundation

/// Who redacted which fields of which event, when and why: appended to `log-redactions` before
/// the payload is replaced (`EventStore.redact`), so a redaction is never without its record,
/// and a crash between the two leaves a recorded redaction that the next `redact` (or
/// `completePendingRedactions`) finishes. The original content is not in it: only its SHA-256.
public struct LogRedaction: Codable, Sendable, Hashable {
    public static let eventType = "LogRedacted"

    public var position: UInt64
    public var eventId: UUID
    public var stream: String
    public var type: String
    /// Every field redacted in the event so far (this redaction's and any earlier one's).
    public var fields: [String]
    /// SHA-256 of the original payload (hex), as the tombstone keeps it.
    public var sha256: String
    public var reason: String
    public var redactedBy: String
    public var redactedAt: String

    /// The event recording it; its id derives from the position and fields, so recording the
    /// same redaction again (a retry after a crash) is recognised.
    public var event: ProposedEvent {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = (try? enc.encode(self)) ?? Data("{}".utf8)
        let id = UUID.derived(from: "LogRedacted|\(position)|\(fields.sorted().joined(separator: ","))")
        return ProposedEvent(id: id, stream: LogRecords.redactionStream, type: Self.eventType, payload: payload, actor: redactedBy)
    }

    /// The redactions recorded in `store`'s log, oldest first.
    public static func recorded(in store: any EventStore) async throws -> [LogRedaction] {
        try await LogRecords.decoded(LogRedaction.self, type: eventType, stream: LogRecords.redactionStream, in: store)
    }
}

/// The tombstones a verifier met and the `LogRedacted` records that account for them: a
/// tombstone nobody recorded is a payload replaced outside `audit redact` (facts hidden without
/// a trace), so it fails verification; a record whose tombstone is missing is a redaction a
/// crash interrupted, reported as pending.
package struct RedactionLedger: Sendable {
    private(set) var tombstones: [UInt64] = []
    private var recorded: [UInt64: Set<String>] = [:]
    private var fieldsOf: [UInt64: Set<String>] = [:]
    static let streamBytes = Array(LogRecords.redactionStream.utf8)

    package init() {}

    /// Notes one verified record (its stream's bytes, as the raw scan has them).
    package mutating func note(position: UInt64, stream: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) {
        note(position: position, isRedactionRecord: stream.elementsEqual(Self.streamBytes), payload: payload)
    }

    package mutating func note(_ e: RecordedEvent) {
        e.payload.withUnsafeBytes { note(position: e.position, isRedactionRecord: e.stream == LogRecords.redactionStream, payload: $0) }
    }

    private mutating func note(position: UInt64, isRedactionRecord: Bool, payload: UnsafeRawBufferPointer) {
        if Redaction.looksRedacted(payload) {
            tombstones.append(position)
            fieldsOf[position] = Set(Redaction.tombstone(of: Data(payload))?.fields ?? [])
        }
        if isRedactionRecord, let r = try? JSONDecoder().decode(LogRedaction.self, from: Data(payload)) {
            recorded[r.position, default: []].formUnion(r.fields)
        }
    }

    /// Adds what was found to an intact report (and makes it not intact for an unrecorded tombstone).
    package func finish(_ report: inout VerifyReport) {
        guard report.intact else { return }
        if !tombstones.isEmpty { report.redacted = tombstones }
        let pending = recorded.filter { position, fields in !(fieldsOf[position].map { fields.isSubset(of: $0) } ?? false) }.keys.sorted()
        if !pending.isEmpty { report.pendingRedactions = pending }
        if let p = tombstones.first(where: { t in !(recorded[t].map { fieldsOf[t]!.isSubset(of: $0) } ?? false) }) {
            report.intact = false
            report.firstBadPosition = p
            report.problem =
                "position \(p) holds a redaction tombstone that no LogRedacted record accounts for (its payload was replaced outside `presidio audit redact`)"
        }
    }
}

extension EventStore {
    /// Redacts `fields` of the event at `position`: records who, when and why (`LogRedacted`),
    /// then replaces the payload by its tombstone (`applyRedaction`); every hash still checks.
    /// Running it again after a crash finishes a redaction recorded but not applied.
    public func redact(position: UInt64, fields: [String], reason: String, by actor: String, at time: Date = Date()) async throws -> LogRedaction {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw EventStoreError(.invalidArgument, "reason: say why the fields are redacted (it is recorded)") }
        guard reason.utf8.count <= 2000 else { throw EventStoreError(.invalidArgument, "reason: must be at most 2000 bytes") }
        guard let e = try await read(from: position, limit: 1).first, e.position == position else {
            throw EventStoreError(.invalidArgument, "position: no event at \(position) (the head is \(try await headPosition()))")
        }
        guard !LogRecords.isReserved(e.stream) else {
            throw EventStoreError(.invalidArgument, "position: \(position) is one of the log's own records (\(e.type)), which hold no personal data")
        }
        let payload: Data
        do {
            payload = try Redaction.redact(e.payload, fields: fields)
        } catch {
            throw EventStoreError(.invalidArgument, "field \(error.description)", stream: e.stream, position: position)
        }
        let t = Redaction.tombstone(of: payload)!
        let stamp = ISO8601DateFormatter().string(from: time)
        let record = LogRedaction(
            position: position, eventId: e.id, stream: e.stream, type: e.type, fields: t.fields, sha256: t.sha256, reason: reason,
            redactedBy: actor, redactedAt: stamp)
        do {
            _ = try await append(record.event)
        } catch let error as EventStoreError where error.code == .duplicateEventId {
            // Recorded before (a retry): the first record stands, the payload is replaced below.
        }
        if payload != e.payload { try await applyRedaction(position: position, payload: payload) }
        return record
    }

    /// Applies every recorded redaction whose tombstone is missing (a crash came between the
    /// record and the rewrite); returns their positions.
    public func completePendingRedactions() async throws -> [UInt64] {
        var done: [UInt64] = []
        for r in try await LogRedaction.recorded(in: self) {
            guard let e = try await read(from: r.position, limit: 1).first, e.position == r.position else { continue }
            let have = Set(Redaction.tombstone(of: e.payload)?.fields ?? [])
            guard !Set(r.fields).isSubset(of: have), let payload = try? Redaction.redact(e.payload, fields: r.fields) else { continue }
            try await applyRedaction(position: r.position, payload: payload)
            done.append(r.position)
        }
        return done
    }

    /// Why `payload` may not replace `current` at `position`, or nil: it must be a tombstone
    /// keeping the chain's digest and length, and a `LogRedacted` record must name its fields.
    /// Every store's `applyRedaction` asks this first: nothing else can change a recorded byte.
    package func redactionProblem(position: UInt64, current: RecordedEvent, payload: Data) async throws -> String? {
        guard current.position == position else { return "no event at position \(position)" }
        guard let t = Redaction.tombstone(of: payload), JSONSyntax.objectProblem(payload) == nil else {
            return "the new payload is not a redaction tombstone"
        }
        let was = current.payload.withUnsafeBytes { Redaction.chained($0) }
        let now = payload.withUnsafeBytes { Redaction.chained($0) }
        guard was.digest == now.digest, was.length == now.length else {
            return "the tombstone does not keep the original payload's SHA-256 and length (the chain would break)"
        }
        let recorded = try await LogRedaction.recorded(in: self).filter { $0.position == position }.reduce(into: Set<String>()) {
            $0.formUnion($1.fields)
        }
        guard Set(t.fields).isSubset(of: recorded) else { return "no LogRedacted record names the fields \(t.fields) of position \(position)" }
        return nil
    }
}
