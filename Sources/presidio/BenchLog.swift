import ArgumentParser
import EventLog
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `presidio bench log`: durable append at several batch sizes, 64 concurrent single-event
/// appenders (group commit), and replay + full verify, each against a same-run baseline.
struct LogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Benchmark the embedded log against plain write+fdatasync of the same bytes.",
        discussion: """
            Baseline: the payload bytes of each batch written to a plain file with write() + fdatasync() per batch,
            no encoding, measured right before and right after each store run (fsync latency on these VMs drifts
            between ~0.2 ms and ~4 ms, so only same-window ratios mean anything).
            """)

    @Option(help: "Events per batch-size run (capped at batch × --max-syncs).") var events: Int = 200_000
    @Option(help: "Comma-separated batch sizes.") var batch: String = "1,10,100,1000"
    @Option(help: "Payload size in bytes.") var payloadBytes: Int = 200
    @Option(help: "Concurrent single-event appenders.") var concurrency: Int = 64
    @Option(help: "Also run each batch size with these many appenders in flight, comma-separated (0: only one at a time).")
    var inflight: String = "4,16"
    @Option(help: "Events appended by the concurrent appenders in total.") var concurrentEvents: Int = 20_000
    @Option(help: "Most fsyncs per run (bounds the time of small batches).") var maxSyncs: Int = 2000
    @Option(help: "Scratch folder (same filesystem as production data); removed afterwards.") var scratch: String = "./presidio-bench"
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Benchmark the PostgreSQL store at this URL instead (in a throwaway schema).") var store: String?
    @Option(help: "With --store: concurrent writer counts.") var writers: String = "1,8"

    struct Row: Codable {
        var test: String
        var batch: Int
        var events: Int
        var eventsPerSecond: Double
        var mbPerSecond: Double
        var baselineEventsPerSecond: Double?
        var ratioToBaseline: Double?
        var p50Micros: Double?
        var p99Micros: Double?
        /// CPU time of the whole process (all threads, user + system) per event, for appends
        /// and verify: what the 2 cores can sustain is about 2 / this.
        var cpuMicrosPerEvent: Double?
    }

    /// User + system CPU seconds of this process so far, all threads.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    func run() async throws {
        let batches = batch.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !batches.isEmpty, batches.allSatisfy({ $0 >= 1 }) else {
            throw CLIFailure(message: "--batch: give positive integers separated by commas", exitCode: 2)
        }
        let depthParts = inflight.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let depths = depthParts.compactMap { Int($0) }
        guard !depths.isEmpty, depths.count == depthParts.count, depths.allSatisfy({ $0 >= 0 }) else {
            throw CLIFailure(message: "--inflight: give integers ≥ 0 separated by commas (0: only one appender at a time)", exitCode: 2)
        }
        if let url = store {
            try await runPostgres(url: url, batches: batches)
            return
        }
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let maxEvents = batches.map { min(events, $0 * maxSyncs) }.max() ?? events
        let payloads = (0..<max(maxEvents, concurrentEvents)).map { Self.payload($0, bytes: payloadBytes) }
        let streams = (0..<1000).map { "meter-\($0)" }
        var rows: [Row] = []
        var largestStore: (String, Int)?
        for b in batches {
            let n = min(events, b * maxSyncs)
            let before = try Self.baseline(payloads: payloads, count: n, batch: b, path: scratch + "/baseline.dat")
            let dir = scratch + "/store-\(b)"
            // Events are built before the clock starts: the store is measured, not the client.
            var prepared: [[ProposedEvent]] = []
            var i = 0
            while i < n {
                let k = min(b, n - i)
                prepared.append(
                    (i..<i + k).map { j in
                        ProposedEvent(stream: streams[j % streams.count], type: "MeterRead", payload: payloads[j], actor: "bench")
                    })
                i += k
            }
            // One appender at a time, then the same batches from several at once (a pipelined
            // bulk import: the writer encodes one commit while the previous one is being
            // synced; deeper pipelines keep both cores busier, at 4 in flight a third idles).
            // The one-appender store is kept for the replay below.
            var runs: [(depth: Int, timed: TimedAppends, cpu: Double)] = []
            for depth in [1] + depths.filter({ $0 > 1 }) {
                let path = depth == 1 ? dir : dir + "-inflight"
                let store = try SegmentStore(directory: path)
                let perTask = (0..<depth).map { t in stride(from: t, to: prepared.count, by: depth).map { prepared[$0] } }
                let c0 = Self.cpuSeconds()
                let timed = try await TimedAppends.run(store, batchesPerTask: perTask)
                runs.append((depth, timed, (Self.cpuSeconds() - c0) * 1e6 / Double(n)))
                store.close()
                if depth > 1 { try? FileManager.default.removeItem(atPath: path) }
            }
            let after = try Self.baseline(payloads: payloads, count: n, batch: b, path: scratch + "/baseline.dat")
            let base = (before + after) / 2
            for run in runs {
                let eps = Double(n) / run.timed.seconds
                rows.append(
                    Row(
                        test: run.depth == 1 ? "append" : "append-\(run.depth)-in-flight", batch: b, events: n, eventsPerSecond: eps,
                        mbPerSecond: eps * Double(payloadBytes) / 1e6, baselineEventsPerSecond: base, ratioToBaseline: eps / base,
                        p50Micros: run.timed.p50, p99Micros: run.timed.p99, cpuMicrosPerEvent: run.cpu))
            }
            if largestStore == nil || n > largestStore!.1 { largestStore = (dir, n) }
        }
        // Group commit: many tasks, one event per append.
        do {
            let n = concurrentEvents
            let per = n / concurrency
            let prepared = (0..<concurrency).map { t in
                (0..<per).map { i in
                    ProposedEvent(stream: streams[t % streams.count], type: "MeterRead", payload: payloads[t * per + i], actor: "bench")
                }
            }
            let base = try Self.baseline(payloads: payloads, count: min(n, maxSyncs / 2), batch: 1, path: scratch + "/baseline.dat")
            let store = try SegmentStore(directory: scratch + "/concurrent")
            let timed = try await TimedAppends.run(store, batchesPerTask: prepared.map { $0.map { [$0] } })
            let secs = timed.seconds
            store.close()
            let eps = Double(per * concurrency) / secs
            rows.append(
                Row(
                    test: "append-concurrent-\(concurrency)", batch: 1, events: per * concurrency, eventsPerSecond: eps,
                    mbPerSecond: eps * Double(payloadBytes) / 1e6, baselineEventsPerSecond: base, ratioToBaseline: eps / base,
                    p50Micros: timed.p50, p99Micros: timed.p99))
        }
        // Replay and full verify of the largest log, one core each.
        if let (dir, n) = largestStore {
            let store = try SegmentStore(directory: dir, options: .init(readOnly: true))
            let t0 = DispatchTime.now().uptimeNanoseconds
            var from: UInt64 = 1
            var count = 0
            var bytes = 0
            while true {
                let page = try await store.read(from: from, limit: 8192)
                guard let last = page.last else { break }
                count += page.count
                for e in page { bytes += e.payload.count }
                from = last.position + 1
            }
            let replaySecs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let t1 = DispatchTime.now().uptimeNanoseconds
            let c1 = Self.cpuSeconds()
            let report = try await store.verify()
            let verifySecs = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
            let verifyCPU = (Self.cpuSeconds() - c1) * 1e6 / Double(n)
            store.close()
            guard report.intact, count == n else { throw CLIFailure(message: "benchmark log did not verify: \(report)") }
            rows.append(
                Row(
                    test: "replay", batch: 0, events: count, eventsPerSecond: Double(count) / replaySecs,
                    mbPerSecond: Double(bytes) / replaySecs / 1e6))
            rows.append(
                Row(
                    test: "replay+verify", batch: 0, events: n, eventsPerSecond: Double(n) / verifySecs,
                    mbPerSecond: Double(bytes) / verifySecs / 1e6, cpuMicrosPerEvent: verifyCPU))
        }
        try report(
            rows, title: "presidio bench log — embedded store, \(ProcessInfo.processInfo.activeProcessorCount) cores, payload \(payloadBytes) B")
    }

    func report(_ rows: [Row], title: String) throws {
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try enc.encode(rows), as: UTF8.self))
        } else {
            print(title)
            print("test                     batch    events      events/s      MB/s   baseline ev/s   ratio   p50 µs   p99 µs  cpu µs/ev")
            for r in rows {
                let base = r.baselineEventsPerSecond.map { String(format: "%14.0f", $0) } ?? String(repeating: " ", count: 14) + "-"
                let ratio = r.ratioToBaseline.map { String(format: "%6.2f×", $0) } ?? "      -"
                let p50 = r.p50Micros.map { String(format: "%8.0f", $0) } ?? "       -"
                let p99 = r.p99Micros.map { String(format: "%8.0f", $0) } ?? "       -"
                let cpu = r.cpuMicrosPerEvent.map { String(format: "%10.2f", $0) } ?? "         -"
                print(
                    r.test.padded(24)
                        + String(format: " %5d %9d %13.0f %9.1f ", r.batch, r.events, r.eventsPerSecond, r.mbPerSecond)
                        + base + "  " + ratio + " " + p50 + " " + p99 + " " + cpu)
            }
        }
    }

    static func payload(_ i: Int, bytes: Int) -> Data {
        var d = Data(#"{"meterId":"MTR-\#(i % 1000)","seq":\#(i),"kwh":\#(i / 4).\#(i % 4 * 25),"pad":""#.utf8)
        d.append(Data(repeating: UInt8(ascii: "x"), count: max(0, bytes - d.count - 2)))
        d.append(Data(#""}"#.utf8))
        return d
    }

    /// Plain durable append of the same payload bytes: one write() and one fdatasync() per batch.
    static func baseline(payloads: [Data], count: Int, batch: Int, path: String) throws -> Double {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIFailure(message: "cannot create \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        var buffers: [[UInt8]] = []
        var i = 0
        while i < count {
            let k = min(batch, count - i)
            var buf: [UInt8] = []
            for j in i..<i + k { buf += payloads[j] }
            buffers.append(buf)
            i += k
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        for buf in buffers {
            let n = buf.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n == buf.count, fdatasync(fd) == 0 else { throw CLIFailure(message: "baseline write failed") }
        }
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return Double(count) / secs
    }
}
