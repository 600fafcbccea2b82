import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `presidio bench projections`: rebuild time over a year of the city, and append→alert latency
/// under steady ingest, each against a baseline measured in the same run.
struct BenchProjections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Rebuild all projections over the city data set (baseline: plain replay) and measure append→alert latency under steady ingest.")

    @OptionGroup var city: BenchCityOptions
    @Option(help: "Use this existing embedded store instead of generating one.") var data: String?
    @Option(help: "Steady ingest: appends per second.") var rate: Int = 50
    @Option(help: "Steady ingest: number of appends.") var appends: Int = 600
    @Option(help: "Scratch folder, removed afterwards.") var scratch: String = "./presidio-bench-projections"
    @Option(help: "Rebuild only these projections (bridges, meters, wastesites; comma-separated).") var only: String?
    @Option(help: "Time the replay and each rebuild this many times and keep the fastest (timings on a shared VM vary from run to run).")
    var runs: Int = 1
    @Flag(help: "Skip the steady-ingest latency part.") var noLatency = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs: must be at least 1") }
        let known: Set<String> = ["bridges", "meters", "wastesites"]
        for name in selected where !known.contains(name) {
            throw ValidationError("--only: unknown projection '\(name)' (known: bridges, meters, wastesites)")
        }
    }

    var selected: [String] {
        (only ?? "bridges,meters,wastesites").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func run() async throws {
        let (bridgeRules, meterRules, siteRules) = try city.ruleSets()
        let seed = city.seed
        let days = city.days
        try? FileManager.default.removeItem(atPath: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // 1. The log: an existing store, or one year of the city.
        let path = data ?? scratch + "/city"
        if data == nil { try await Self.generate(into: path, seed: seed, days: days) }
        let store = try SegmentStore(directory: path, options: .init(readOnly: data != nil))
        let head = try await store.headPosition()

        // Each measurement is taken `runs` times; the fastest counts, and all are shown.
        var spread: [String: [Double]] = [:]
        func fastest(_ name: String, _ work: () async throws -> Void) async throws -> TimeInterval {
            var times: [Double] = []
            for _ in 0..<runs {
                let t = Date()
                try await work()
                times.append(Date().timeIntervalSince(t))
            }
            spread[name] = times
            return times.min()!
        }
        // 2. Baseline: read every event (decode the records, apply nothing).
        let replay = try await fastest("replay") {
            var from: UInt64 = 1
            while true {
                let page = try await store.read(from: from, limit: 8192)
                guard let last = page.last else { break }
                from = last.position + 1
            }
        }
        // 3. Rebuild each projection from zero.
        // The applying task's own CPU time per rebuild: wall times on a shared VM vary by a
        // third from one minute to the next, the projection's own cost much less.
        var applying: [String: [Double]] = [:]
        func rebuild<P: Projection>(_ p: P) async throws -> (TimeInterval, Int) {
            var alerts = 0
            let t = try await fastest(p.name) {
                let r = ProjectionRunner(projection: p, store: store, snapshots: FileSnapshotStore(directory: scratch + "/snap"))
                try await r.catchUp(until: nil, untilTime: nil, saveSnapshots: false)
                alerts = r.state.alerts.count
                applying[p.name, default: []].append(r.lastApplySeconds)
            }
            return (t, alerts)
        }
        var rows: [(String, TimeInterval, Int)] = []
        for name in selected {
            let (t, alerts) =
                switch name {
                case "bridges": try await rebuild(BridgeProjection(rules: bridgeRules))
                case "meters": try await rebuild(MeterProjection(rules: meterRules))
                default: try await rebuild(WasteSiteProjection(rules: siteRules))
                }
            rows.append((name, t, alerts))
        }
        let total = rows.reduce(0) { $0 + $1.1 }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let best = runs > 1 ? " (fastest of \(runs) runs)" : ""
        print("presidio bench projections — \(ProcessInfo.processInfo.activeProcessorCount) cores; log \(path): \(head) events\(best)")
        print(String(format: "baseline: plain replay of the log          %6.2f s  (%.0f events/s)", replay, Double(head) / replay))
        for (name, t, alerts) in rows {
            print(
                String(
                    format: "rebuild %@%6.2f s  %6d alerts  (%.2f× replay)", name.padding(toLength: 36, withPad: " ", startingAt: 0), t, alerts,
                    t / replay))
            print(String(format: "  of which applying (CPU of the applying task)  %6.2f s", applying[name]?.min() ?? 0))
        }
        print(
            String(
                format: "rebuild all (sequential, one read each)     %6.2f s  (%.2f× replay); peak RSS %d MiB", total, total / replay,
                usage.ru_maxrss / 1024))
        if runs > 1 {
            for name in ["replay"] + selected {
                print("  runs of \(name): " + (spread[name] ?? []).map { String(format: "%.2f s", $0) }.joined(separator: ", "))
                if let cpu = applying[name] {
                    print("    applying: " + cpu.map { String(format: "%.2f s", $0) }.joined(separator: ", "))
                }
            }
        }
        store.close()

        // 4. Latency: a live meter worker follows the log while readings arrive at a steady rate.
        if !noLatency { try await latency(meterRules: meterRules) }
    }

    static func generate(into path: String, seed: UInt64, days: Int) async throws {
        let store = try SegmentStore(directory: path)
        defer { store.close() }
        _ = try await loadCity(CityGenerator.Options(seed: seed, days: days), into: store)
    }

    /// Generates the city, validates every event like a submission, appends it in batches of
    /// 2,000, and returns the ground truth.
    static func loadCity(_ options: CityGenerator.Options, into store: any EventStore) async throws -> [GroundTruth] {
        var validator = DemoValidator(seed: options.seed, now: options.end)
        var pending: [ProposedEvent] = []
        var truth: [GroundTruth] = []
        try await CityGenerator(options: options).run(
            emit: { item in
                pending.append(try validator.proposed(item))
                if pending.count >= 2000 {
                    _ = try await store.append(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }, truth: { truth.append($0) })
        if !pending.isEmpty { _ = try await store.append(pending) }
        return truth
    }

    func latency(meterRules: MeterRules) async throws {
        let path = scratch + "/live"
        var options = CityGenerator.Options(seed: city.seed, days: 20)
        options.bridges = 1
        options.wasteSites = 1
        options.buildings = 25
        let store = try SegmentStore(directory: path)
        defer { store.close() }
        _ = try await Self.loadCity(options, into: store)
        let runner = ProjectionRunner(
            projection: MeterProjection(rules: meterRules), store: store, snapshots: FileSnapshotStore(directory: scratch + "/snap2"))
        try await runner.catchUp(until: nil, untilTime: nil, saveSnapshots: false)
        let seen = Mutex<[UInt64: UInt64]>([:])  // position → nanos when applied
        let alertSeen = Mutex<[UInt64: UInt64]>([:])  // triggering position → nanos when its alert was visible
        let startFrom = runner.position + 1
        let worker = Task {
            for try await e in store.subscribe(from: startFrom) {
                if e.position > runner.position { try await runner.catchUp(until: nil, untilTime: nil, saveSnapshots: false) }
                let now = DispatchTime.now().uptimeNanoseconds
                let applied = runner.position
                let fresh = runner.state.alerts.values.filter { $0.raisedPosition >= startFrom }.map(\.raisedPosition)
                seen.withLock { s in
                    if s[e.position] == nil { s[e.position] = now }; if s[applied] == nil { s[applied] = now }
                }
                alertSeen.withLock { a in for p in fresh where a[p] == nil { a[p] = now } }
            }
        }
        // Steady ingest: each meter's next day, every 5th with a gap (which must raise an alert).
        // 15-minute meters: each probe is the meter's next day of 96 readings.
        var meters = runner.state.meters.values.filter { $0.interval == 15 }.sorted { $0.meterId < $1.meterId }
        var ack: [UInt64: UInt64] = [:]
        var gapPositions: Set<UInt64> = []
        let period = 1.0 / Double(rate)
        let begin = DispatchTime.now().uptimeNanoseconds
        for n in 0..<appends {
            let target = begin + UInt64(Double(n) * period * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if target > now { try await Task.sleep(nanoseconds: target - now) }
            let k = n % meters.count
            var m = meters[k]
            guard let lastAt = m.lastAt.flatMap(DomainTime.dateTime), var value = m.lastValue else { continue }
            let gap = n % 5 == 0
            var readings: [Double?] = []
            for i in 0..<96 {
                value += 0.5
                readings.append(gap && (10..<20).contains(i) ? nil : value)
            }
            let event = MeterReadingsRecorded(
                meterId: m.meterId, observedAt: DomainTime.timestampString(lastAt.addingTimeInterval(900)), intervalMinutes: 15, readings: readings,
                resets: nil)
            let proposed = ProposedEvent(stream: event.stream, type: MeterReadingsRecorded.eventType, payload: try event.payload(), actor: "bench")
            // Latency counts from the moment the client calls append (durable write included).
            let called = DispatchTime.now().uptimeNanoseconds
            let r = try await store.append(proposed)
            ack[r.positions[0]] = called
            if gap { gapPositions.insert(r.positions[0]) }
            m.lastAt = DomainTime.timestampString(lastAt.addingTimeInterval(900 * 96))
            m.lastValue = value
            meters[k] = m
        }
        // Let the worker drain, then stop it.
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while DispatchTime.now().uptimeNanoseconds < deadline, runner.position < (ack.keys.max() ?? 0) {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(50))
        worker.cancel()
        let applied = seen.withLock { $0 }
        let alerts = alertSeen.withLock { $0 }
        func latencies(_ positions: [UInt64], _ visible: [UInt64: UInt64]) -> [Double] {
            positions.compactMap { p in
                guard let a = ack[p] else { return nil }
                let v = visible.filter { $0.key >= p }.map(\.value).min() ?? 0
                return v >= a ? Double(v - a) / 1e6 : 0
            }.sorted()
        }
        let all = latencies(Array(ack.keys), applied)
        let alertLat = gapPositions.sorted().compactMap { p -> Double? in
            guard let a = ack[p], let v = alerts[p] else { return nil }
            return v >= a ? Double(v - a) / 1e6 : 0
        }.sorted()
        func pct(_ xs: [Double], _ q: Double) -> Double { xs.isEmpty ? .nan : xs[min(xs.count - 1, Int(Double(xs.count - 1) * q))] }
        print(
            String(
                format: "steady ingest: %d appends at %d/s (96 readings each; %d with a gap that must raise an alert)", appends, rate,
                gapPositions.count))
        print(String(format: "append call → applied to the read model:   p50 %.2f ms   p99 %.2f ms", pct(all, 0.5), pct(all, 0.99)))
        print(
            String(
                format: "append call → alert visible (%d/%d seen):   p50 %.2f ms   p99 %.2f ms", alertLat.count, gapPositions.count,
                pct(alertLat, 0.5), pct(alertLat, 0.99)))
    }
}
