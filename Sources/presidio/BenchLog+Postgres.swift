import EventLog
import EventLogPostgres
import Foundation

extension LogBench {
    /// Batch sizes × writer counts against the PostgreSQL store, each beside a same-run baseline
    /// of single-row autocommit INSERTs from as many connections.
    func runPostgres(url: String, batches: [Int]) async throws {
        let writerCounts = writers.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
        let schema = "bench_" + String(UUID.random().uuidString.prefix(8)).lowercased()
        _ = try PostgresStore.migrate(url: url, schema: schema)
        defer { PostgresBaseline.dropSchema(url: url, schema: schema) }
        try PostgresBaseline.prepare(url: url, schema: schema)
        let settings = PostgresBaseline.settings(url: url)
        var options = ProcessEnvironment.postgresOptions
        options.readers = 2
        let store = try PostgresStore(url: url, schema: schema, options: options)
        defer { store.close() }
        let payload = Self.payload(0, bytes: payloadBytes)
        var rows: [Row] = []
        var stream = 0
        for w in writerCounts {
            let baseline = try PostgresBaseline.measure(
                url: url, schema: schema, writers: w, perWriter: max(50, min(400, maxSyncs / w)), payload: payload)
            rows.append(
                Row(
                    test: "pg-baseline-insert w=\(w)", batch: 1, events: baseline.rows, eventsPerSecond: baseline.eventsPerSecond,
                    mbPerSecond: baseline.eventsPerSecond * Double(payloadBytes) / 1e6,
                    p50Micros: baseline.latencies[baseline.latencies.count / 2],
                    p99Micros: baseline.latencies[baseline.latencies.count * 99 / 100]))
            for b in batches {
                let commitsPerWriter = max(5, min(maxSyncs / w, events / (b * w)))
                stream += 1
                let prefix = "bench\(stream)"
                let prepared = (0..<w).map { t in
                    (0..<commitsPerWriter).map { c in
                        (0..<b).map { k in
                            ProposedEvent(
                                stream: "\(prefix)-\(t)", type: "MeterRead", payload: Self.payload(c * b + k, bytes: payloadBytes), actor: "bench")
                        }
                    }
                }
                let timed = try await TimedAppends.run(store, batchesPerTask: prepared)
                let secs = timed.seconds
                let n = w * commitsPerWriter * b
                let eps = Double(n) / secs
                rows.append(
                    Row(
                        test: "pg-append w=\(w)", batch: b, events: n, eventsPerSecond: eps, mbPerSecond: eps * Double(payloadBytes) / 1e6,
                        baselineEventsPerSecond: baseline.eventsPerSecond, ratioToBaseline: eps / baseline.eventsPerSecond,
                        p50Micros: timed.p50, p99Micros: timed.p99))
            }
        }
        let verify = try await store.verify()
        guard verify.intact else { throw CLIFailure(message: "benchmark log did not verify: \(verify)") }
        let settingsText = settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        try report(rows, title: "presidio bench log — PostgreSQL store (\(settingsText)), latency per append call")
    }
}
