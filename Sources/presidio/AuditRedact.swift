import ArgumentParser
import EventLog
import Foundation
import Projections
import Server

extension Audit {
    struct Redact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace personal fields of one recorded event (an inspector's name, photos) by a tombstone; every hash still checks.",
            discussion: """
                Admins only (through a running server: an admin token). Who, when and why is appended to the log \
                (LogRedacted) before the payload is replaced; the tombstone keeps the original payload's SHA-256 \
                and length, so `audit verify` stays valid and lists the redaction. Fields are paths: inspector, \
                notes, defects[*].photos, defects[0].notes. Running it again finishes a redaction a crash interrupted.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var remote: RemoteOptions
        @Argument(help: "The event's log position.") var position: UInt64
        @Option(name: .customLong("field"), help: ArgumentHelp("A field to redact (repeatable).", valueName: "path")) var fields: [String] = []
        @Option(help: "Why (recorded in the log).") var reason: String
        @Option(help: "Who redacts, recorded as the actor (without a server).") var actor: String = "admin:\(NSUserName())"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let record: LogRedaction
            if let client = remote.client(store, actor: actor) {
                let body = try JSONSerialization.data(withJSONObject: ["position": position, "fields": fields, "reason": reason])
                let reply = try await client.send("POST", "/v1/audit/redactions", body: body)
                guard reply.ok else { throw CLIFailure(message: PresidioClient.failure(reply).description, exitCode: reply.status == 400 ? 2 : 1) }
                record = try JSONDecoder().decode(LogRedaction.self, from: reply.body)
            } else {
                let s = try store.open()
                defer { s.close() }
                do {
                    record = try await AuditRedaction.redact(store: s, position: position, fields: fields, reason: reason, actor: actor)
                } catch let e as AuditInputError {
                    throw CLIFailure(message: e.description, exitCode: 2)
                }
            }
            if json { return try printJSON(record) }
            print(
                "redacted \(record.fields.joined(separator: ", ")) of \(record.type) at position \(record.position) (\(record.stream)); "
                    + "original SHA-256 \(record.sha256.prefix(16))…, by \(record.redactedBy) at \(record.redactedAt)")
        }
    }
}
