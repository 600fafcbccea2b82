import EventLog
import Foundation

/// The API nodes' shared key-value state (schema version 3, table `server_state`): token
/// hashes, idempotency records and feed consumer positions. It is configuration and caches,
/// never facts: facts go into the log.
extension PostgresStore {
    public func stateGet(kind: String, key: String) async throws -> Data? {
        let s = schema
        return try await withReader { c in
            let r = try c.exec("SELECT value FROM \(s).server_state WHERE kind = $1 AND key = $2", [.text(kind), .text(key)])
            return r.count == 1 ? Data(try r.bytes(0, 0)) : nil
        }
    }

    /// Inserts or replaces; with `onlyIfAbsent`, returns false (and writes nothing) when the key exists.
    @discardableResult
    public func statePut(kind: String, key: String, value: Data, onlyIfAbsent: Bool = false) async throws -> Bool {
        let s = schema
        return try await withReader { c in
            let sql =
                onlyIfAbsent
                ? "INSERT INTO \(s).server_state (kind, key, value) VALUES ($1, $2, $3) ON CONFLICT (kind, key) DO NOTHING RETURNING 1"
                : """
                INSERT INTO \(s).server_state (kind, key, value) VALUES ($1, $2, $3)
                ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now() RETURNING 1
                """
            return try c.exec(sql, [.text(kind), .text(key), .bytea(value)]).count == 1
        }
    }

    public func stateDelete(kind: String, key: String) async throws {
        let s = schema
        _ = try await withReader { c in try c.exec("DELETE FROM \(s).server_state WHERE kind = $1 AND key = $2", [.text(kind), .text(key)]) }
    }

    public func stateList(kind: String) async throws -> [(key: String, value: Data)] {
        let s = schema
        return try await withReader { c in
            let r = try c.exec("SELECT key, value FROM \(s).server_state WHERE kind = $1 ORDER BY key", [.text(kind)])
            return try (0..<r.count).map { (try r.text($0, 0), Data(try r.bytes($0, 1))) }
        }
    }
}
