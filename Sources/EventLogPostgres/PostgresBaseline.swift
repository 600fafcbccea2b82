import EventLog
import Foundation

/// The same-run baseline for `presidio bench log --store postgres://…`: single-row autocommit
/// `INSERT`s into a plain table with the event table's columns, from N connections at once.
public enum PostgresBaseline {
    public struct Measurement: Sendable {
        public var rows: Int
        public var seconds: Double
        /// Per-INSERT latency in microseconds, sorted.
        public var latencies: [Double]
        public var eventsPerSecond: Double { Double(rows) / seconds }
    }

    /// Creates `<schema>.baseline` (same columns as `events`, primary key only).
    public static func prepare(url: String, schema: String) throws {
        let s = try PostgresSchema.validated(schema)
        do {
            let c = try PGConnection(conninfo: url)
            try c.exec("DROP TABLE IF EXISTS \(s).baseline")
            try c.exec(
                """
                CREATE TABLE \(s).baseline (position bigint PRIMARY KEY, stream text, category text, version bigint, event_id uuid,
                  type text, schema_version integer, recorded_at bigint, actor text, correlation_id uuid, causation_id uuid,
                  metadata bytea, payload bytea, hash bytea)
                """)
        } catch let e as PostgresError { throw e.storeError }
    }

    /// `writers` connections each insert `perWriter` rows, one autocommit INSERT per row.
    public static func measure(url: String, schema: String, writers: Int, perWriter: Int, payload: Data) throws -> Measurement {
        let s = try PostgresSchema.validated(schema)
        let connections: [PGConnection]
        do { connections = try (0..<writers).map { _ in try PGConnection(conninfo: url) } } catch let e as PostgresError { throw e.storeError }
        let base = Int64(Date().timeIntervalSince1970 * 1000) * 1000
        let lat = UncheckedBox([[Double]](repeating: [], count: writers))
        let failures = UncheckedBox([String]())
        let lock = NSLock()
        let t0 = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            let c = connections[w]
            var mine: [Double] = []
            mine.reserveCapacity(perWriter)
            for i in 0..<perWriter {
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    try c.exec(
                        "INSERT INTO \(s).baseline VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
                        [
                            .int8(base + Int64(w * perWriter + i)), .text("meter-\(w)"), .text("meter"), .int8(Int64(i)), .uuid(.random()),
                            .text("MeterRead"), .int4(1), .int8(base), .text("bench"), .null(oid: 2950), .null(oid: 2950),
                            .bytea([UInt8]("{}".utf8)), .bytea(payload), .bytea([UInt8](repeating: 7, count: 32)),
                        ])
                } catch {
                    lock.lock()
                    failures.value.append("\(error)")
                    lock.unlock()
                    return
                }
                mine.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
            }
            lock.lock()
            lat.value[w] = mine
            lock.unlock()
        }
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if let f = failures.value.first { throw EventStoreError(.io, "baseline insert failed: \(f)") }
        return Measurement(rows: writers * perWriter, seconds: secs, latencies: lat.value.flatMap { $0 }.sorted())
    }

    /// Drops a schema created for a benchmark.
    public static func dropSchema(url: String, schema: String) {
        guard let s = try? PostgresSchema.validated(schema), let c = try? PGConnection(conninfo: url) else { return }
        _ = try? c.exec("DROP SCHEMA IF EXISTS \(s) CASCADE")
    }

    /// The server's durability settings, for the report.
    public static func settings(url: String) -> [String: String] {
        guard let c = try? PGConnection(conninfo: url) else { return [:] }
        var out: [String: String] = [:]
        for name in ["fsync", "synchronous_commit", "wal_sync_method", "full_page_writes", "shared_buffers", "server_version"] {
            if let r = try? c.exec("SELECT current_setting($1)", [.text(name)]), let v = try? r.text(0, 0) { out[name] = v }
        }
        return out
    }
}

/// A mutable value shared with `concurrentPerform` iterations under an explicit lock.
final class UncheckedBox<T>: @unchecked Sendable {
    // @unchecked: every access is under the caller's NSLock, or after the parallel loop ended.
    var value: T
    init(_ value: T) { self.value = value }
}
