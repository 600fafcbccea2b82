import ArgumentParser
import Domain
import EventLog
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `presidio demo-data`: the reference data set of the whole metropolitan city.
struct DemoData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Generate the city data set (deterministic per seed) into the store, or as NDJSON with --out.",
        discussion: """
            517 bridges with census and 1–5 years of inspections, 703 waste sites with inspection histories, and
            ~250 school buildings × 4 meters read every 15 minutes or every hour and sent as gateways send them
            (a day, half a day, several days or 37 readings a batch; some clocks minutes off the quarter hour),
            ending yesterday (or before --end), with injected anomalies (water leaks, stuck meters, counter
            regressions, rollovers, gaps, spikes, heating out of season, consumption out of hours, drift,
            dangerous bridge defects, non-compliant sites, fires), forms 28/29, Level 3/4 assessments, repairs and
            maintenance. Their ground truth goes to --truth. Every event is validated like a submission before it
            is appended. The same seed and --end give the same data set.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Random seed; the same seed gives the same data set.") var seed: UInt64 = 1
    @Option(help: "Years of meter readings.") var years: Int?
    @Option(help: "Days of meter readings (default 365).") var days: Int?
    @Option(help: "Write NDJSON (for `presidio log import`) instead of appending to the store.") var out: String?
    @Option(help: "Ground-truth NDJSON file (default: beside --out, or ground-truth.ndjson in the data folder).") var truth: String?
    @Option(help: "Events per atomic append.") var batch: Int = 2000
    @Option(help: "Number of school buildings (4 meters each).") var buildings: Int = 250
    @Option(help: "The day after the data set's last day (YYYY-MM-DD, UTC; default today, so the data end yesterday).") var end: String?

    func validate() throws {
        if years != nil && days != nil { throw ValidationError("give --years or --days, not both") }
        if let years, years < 1 || years > 20 { throw ValidationError("--years must be 1…20") }
        if let days, days < 1 || days > 7300 { throw ValidationError("--days must be 1…7300") }
        if batch < 1 || batch > 100_000 { throw ValidationError("--batch must be 1…100000") }
        if let end, DomainTime.date(end) == nil { throw ValidationError("--end must be a day as YYYY-MM-DD (got '\(end)')") }
    }

    func run() async throws {
        var options = CityGenerator.Options(seed: seed, days: days ?? (years ?? 1) * 365)
        options.buildings = buildings
        options.end = end.flatMap(DomainTime.date) ?? DomainTime.date(DomainTime.dayString(Date()))!
        let generator = CityGenerator(options: options)
        let truthPath =
            truth
            ?? (out.map { $0 + ".truth.ndjson" } ?? (store.postgresURL == nil ? store.dataDirectory + "/ground-truth.ndjson" : "ground-truth.ndjson"))
        if out == nil && store.postgresURL == nil {
            try FileManager.default.createDirectory(atPath: store.dataDirectory, withIntermediateDirectories: true)
        }
        FileManager.default.createFile(atPath: truthPath, contents: nil)
        guard let truthFile = FileHandle(forWritingAtPath: truthPath) else { throw CLIFailure(message: "cannot write \(truthPath)") }
        defer { try? truthFile.close() }

        var validator = DemoValidator(seed: seed, now: options.end)
        let target: any EventStore = out == nil ? try store.open() : NullStore()
        defer { target.close() }
        let outFile: FileHandle? = try out.map { path in
            FileManager.default.createFile(atPath: path, contents: nil)
            guard let h = FileHandle(forWritingAtPath: path) else { throw CLIFailure(message: "cannot write \(path)") }
            return h
        }
        if out == nil, try await target.headPosition() > 0 {
            throw CLIFailure(message: "the store at \(store.location) is not empty: demo-data loads into a fresh store only")
        }
        let started = Date()
        var pending: [ProposedEvent] = []
        var events = 0
        var readings = 0
        var bytes = 0
        var truths = 0
        var lines: [UInt8] = []
        var lastProgress = Date()
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]

        func flush() async throws {
            if pending.isEmpty { return }
            if let outFile {
                for e in pending {
                    lines += Array(
                        "{\"id\":\"\(e.id.uuidString.lowercased())\",\"stream\":\(EventJSON.quote(e.stream)),\"type\":\"\(e.type)\",\"schemaVersion\":\(e.schemaVersion),\"actor\":\"\(e.actor)\",\"metadata\":"
                            .utf8)
                    lines += e.metadata
                    lines += Array(",\"data\":".utf8)
                    lines += e.payload
                    lines += Array("}\n".utf8)
                }
                outFile.write(Data(lines))
                lines.removeAll(keepingCapacity: true)
            } else {
                _ = try await target.append(pending)
            }
            pending.removeAll(keepingCapacity: true)
            // Progress on a terminal only (a log file or a pipe stays clean).
            if isatty(2) != 0, Date().timeIntervalSince(lastProgress) >= 1 {
                lastProgress = Date()
                FileHandle.standardError.write(
                    Data("\rgenerating: \(events) events, \(readings) readings, \(Int(Date().timeIntervalSince(started))) s ".utf8))
            }
        }

        do {
            try await generator.run(
                emit: { item in
                    let e = try validator.proposed(item)
                    events += 1
                    bytes += e.payload.count
                    if let r = item.event as? MeterReadingsRecorded { readings += r.readings.count }
                    pending.append(e)
                    if pending.count >= batch { try await flush() }
                },
                truth: { t in
                    truthFile.write(try enc.encode(t) + Data("\n".utf8))
                    truths += 1
                })
            try await flush()
        } catch let f as ValidationFailure {
            throw CLIFailure(
                message: "generated data failed validation (a generator bug): \(f.problems.prefix(5).map(\.description).joined(separator: "; "))")
        }
        try outFile?.close()
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let secs = Date().timeIntervalSince(started)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var size: UInt64 = 0
        if out == nil {
            size = try await target.stats().bytes
        } else if let out {
            size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? UInt64) ?? 0
        }
        print(
            """
            {"events":\(events),"readings":\(readings),"groundTruth":\(truths),"payloadBytes":\(bytes),"storedBytes":\(size),\
            "seconds":\(String(format: "%.2f", secs)),"eventsPerSecond":\(Int(Double(events) / secs)),\
            "readingsPerSecond":\(Int(Double(readings) / secs)),"peakRSSMiB":\(usage.ru_maxrss / 1024),\
            "target":"\(out ?? store.location)","truth":"\(truthPath)"}
            """)
    }
}

/// Stands in for a store when the data set goes to a file.
struct NullStore: EventStore {
    func append(_ batch: [ProposedEvent]) async throws -> AppendResult { AppendResult(positions: [], appended: 0, head: 0) }
    func read(from position: UInt64, limit: Int) async throws -> [RecordedEvent] { [] }
    func readStream(_ stream: String, from version: UInt64, limit: Int) async throws -> [RecordedEvent] { [] }
    func readCategory(_ category: String, from position: UInt64, limit: Int) async throws -> [RecordedEvent] { [] }
    func headPosition() async throws -> UInt64 { 0 }
    func streamVersion(_ stream: String) async throws -> UInt64? { nil }
    func position(ofEventId id: UUID) async throws -> UInt64? { nil }
    func waitForAppend(after position: UInt64) async throws {}
    func stats() async throws -> StoreStats {
        StoreStats(head: 0, headHash: "", events: 0, streams: 0, categories: 0, bytes: 0, segments: 0, backend: "none")
    }
    func verify() async throws -> VerifyReport { VerifyReport(intact: true, eventsChecked: 0, headPosition: 0, headHash: "") }
    func appendVerbatim(_ events: [RecordedEvent]) async throws {}
    func applyRedaction(position: UInt64, payload: Data) async throws { throw EventStoreError(.readOnly, "the null store keeps no events") }
    func close() {}
}
