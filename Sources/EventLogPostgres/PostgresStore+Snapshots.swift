import EventLog
import Foundation

/// Projection snapshots kept in PostgreSQL when the log is there, so every worker node
/// resumes from the same place (schema version 2, table `snapshots`).
extension PostgresStore {
    public struct StoredSnapshot: Sendable {
        public var name: String
        public var position: UInt64
        public var codeVersion: Int
        public var ruleSet: String
        public var state: Data
        public var sha256: String

        public init(name: String, position: UInt64, codeVersion: Int, ruleSet: String, state: Data, sha256: String) {
            self.name = name
            self.position = position
            self.codeVersion = codeVersion
            self.ruleSet = ruleSet
            self.state = state
            self.sha256 = sha256
        }
    }

    public func loadSnapshot(name: String) async throws -> StoredSnapshot? {
        let s = schema
        return try await withReader { c in
            let r = try c.exec("SELECT position, code_version, rule_set, state, sha256 FROM \(s).snapshots WHERE name = $1", [.text(name)])
            guard r.count == 1 else { return nil }
            return StoredSnapshot(
                name: name, position: UInt64(try r.int8(0, 0)), codeVersion: Int(try r.int4(0, 1)), ruleSet: try r.text(0, 2),
                state: Data(try r.bytes(0, 3)), sha256: try r.text(0, 4))
        }
    }

    public func saveSnapshot(_ s: StoredSnapshot) async throws {
        let schema = self.schema
        _ = try await withReader { c in
            try c.exec(
                """
                INSERT INTO \(schema).snapshots (name, position, code_version, rule_set, state, sha256) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, code_version = EXCLUDED.code_version,
                  rule_set = EXCLUDED.rule_set, state = EXCLUDED.state, sha256 = EXCLUDED.sha256, saved_at = now()
                """,
                [.text(s.name), .int8(Int64(s.position)), .int4(Int32(s.codeVersion)), .text(s.ruleSet), .bytea(s.state), .text(s.sha256)])
        }
    }

    public func deleteSnapshot(name: String) async throws {
        let s = schema
        _ = try await withReader { c in try c.exec("DELETE FROM \(s).snapshots WHERE name = $1", [.text(name)]) }
    }
}
