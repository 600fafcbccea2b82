import Domain
import EventLog
import Foundation

/// `audit redact` for the CLI and `POST /v1/audit/redactions`: the store's `redact`, after a
/// check that the projections can still read the event once its fields are replaced (a
/// redaction hides personal data, never the facts a class or an alert was derived from).
public enum AuditRedaction {
    public static func redact(store: any EventStore, position: UInt64, fields: [String], reason: String, actor: String) async throws
        -> LogRedaction
    {
        guard position > 0 else { throw AuditInputError(field: "position", reason: "must be a log position from 1", range: true) }
        let fields = fields.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !fields.isEmpty else {
            throw AuditInputError(field: "fields", reason: "name at least one field to redact, e.g. inspector or defects[*].photos")
        }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw AuditInputError(field: "reason", reason: "say why the fields are redacted (it is recorded in the log)")
        }
        guard let e = try await store.read(from: position, limit: 1).first, e.position == position else {
            throw AuditInputError(field: "position", reason: "no event at \(position) (the head is \(try await store.headPosition()))", range: true)
        }
        if LogRecords.isReserved(e.stream) {
            throw AuditInputError(field: "position", reason: "\(position) is one of the log's own records (\(e.type)), which hold no personal data")
        }
        var redacted = e
        do {
            redacted.payload = try Redaction.redact(e.payload, fields: fields)
        } catch {
            throw AuditInputError(field: "fields", reason: "\(error.field) \(error.reason) of \(e.type) at position \(position)")
        }
        if Catalog.isKnown(e.type) {
            do {
                _ = try Catalog.decodeChecked(redacted)
            } catch {
                throw AuditInputError(
                    field: "fields",
                    reason:
                        "the projections could not read \(e.type) at position \(position) with \(fields.joined(separator: ", ")) redacted (\(error.description)); redact personal fields only"
                )
            }
        }
        return try await store.redact(position: position, fields: fields, reason: reason, by: actor)
    }
}
