import ArgumentParser
import EventLog
import Foundation
import Projections

extension Audit {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every event of an asset (and of the alerts about it): actor, observed and recorded times, position, hash.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Asset id, e.g. bridge-MI0001.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard let asset = AssetID(id) else { throw CLIFailure(message: "asset ids look like \(AssetID.examples) (got '\(id)')", exitCode: 2) }
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let h = try await AssetHistory.load(asset, store: s)
            if json { return try printJSON(h) }
            if h.entries.isEmpty { throw CLIFailure(message: "no events on \(asset): no such asset in this log") }
            print("POSITION  VER  TYPE                          ACTOR                 OBSERVED              RECORDED                     HASH")
            for e in h.entries + h.alertEntries {
                print(
                    String(e.position).padded(9) + " " + String(e.version).padded(4) + " " + e.type.padded(29) + " "
                        + String(e.actor.prefix(21)).padded(21) + " " + (e.observedAt ?? "–").padded(21) + " " + e.recordedAt.padded(28) + " "
                        + e.hash.prefix(16) + "…")
            }
            print("\(h.entries.count) events on \(h.asset), \(h.alertEntries.count) alert events about it")
        }
    }

    /// `--as-of` and `--clock`, shared by replay.
    struct AsOfOptions: ParsableArguments {
        @Option(help: ArgumentHelp("A log position, an RFC 3339 time or a YYYY-MM-DD date (default: the head).", valueName: "time|position"))
        var asOf: String?
        @Option(help: "recorded (what Presidio knew then) or observed (facts observed by then, whenever recorded).") var clock: String = "recorded"
        @Option(help: ArgumentHelp("Replay with another rule-set version, e.g. bridges/v2 (repeatable).", valueName: "name/vN"))
        var rules: [String] = []

        func limit() throws -> ReplayLimit {
            switch ReplayLimit.parse(asOf: asOf, clock: clock) {
            case .success(let l): return l
            case .failure(let e): throw CLIFailure(message: "--\(e.field == "asOf" ? "as-of" : e.field): \(e.reason)", exitCode: 2)
            }
        }

        func versions() throws -> [String: Int] {
            switch ReplayLimit.parseVersions(rules) {
            case .success(let v): return v
            case .failure(let e): throw CLIFailure(message: "--rules: \(e.reason)", exitCode: 2)
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What Presidio showed at a past moment, or would have shown under another rule-set version (deterministic JSON).",
            discussion: """
                Views: alerts, queue-safety, queue-inspection, bridges, meters, sites. The output names the clock, \
                the position replayed through, and the rule files with their SHA-256; the same replay gives the \
                same bytes.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "The view to replay.") var view: String = "alerts"
        @Option(help: ArgumentHelp("Rule-set folder (default: as for the other commands).", valueName: "dir")) var rulesDir: String?

        func run() async throws {
            guard let v = AuditReplay.View(rawValue: view) else {
                throw CLIFailure(
                    message: "--view: must be one of \(AuditReplay.View.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(view)')",
                    exitCode: 2)
            }
            let limit = try asOf.limit()
            let versions = try asOf.versions()
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let r = try await AuditReplay.replay(
                store: s, rulesDirectory: rulesDir ?? RuleSetLoader.defaultDirectory, limit: limit, versions: versions)
            let result = AuditReplay.result(r, view: v, limit: limit)
            FileHandle.standardOutput.write(result.json + Data("\n".utf8))
            if let note = r.note { printError("note: \(note)") }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What changed in alerts, bridge classes and queues between two moments (one clock).")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The earlier moment: a position, an RFC 3339 time or a date.", valueName: "time|position")) var from: String
        @Option(help: ArgumentHelp("The later moment (default: the head).", valueName: "time|position")) var to: String?
        @Option(help: "recorded or observed.") var clock: String = "recorded"
        @Option(help: ArgumentHelp("Rule-set folder.", valueName: "dir")) var rulesDir: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            func limit(_ s: String?, _ name: String) throws -> ReplayLimit {
                switch ReplayLimit.parse(asOf: s, clock: clock) {
                case .success(let l): return l
                case .failure(let e): throw CLIFailure(message: "--\(e.field == "asOf" ? name : e.field): \(e.reason)", exitCode: 2)
                }
            }
            let (a, b) = (try limit(from, "from"), try limit(to, "to"))
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let dir = rulesDir ?? RuleSetLoader.defaultDirectory
            let ra = try await AuditReplay.replay(store: s, rulesDirectory: dir, limit: a)
            let rb = try await AuditReplay.replay(store: s, rulesDirectory: dir, limit: b)
            let d = AuditDiff.between(ra, rb, clock: a.clock)
            if json { return try printJSON(d) }
            print("from position \(d.fromPosition) (\(d.from)) to \(d.toPosition) (\(d.to)), \(d.clock) clock")
            for c in d.alerts { print("alert \(c.change.padded(12)) \(c.id) \(c.from.map { "\($0) → " } ?? "")\(c.to ?? "")") }
            for c in d.classes { print("class        \(c.bridge) \(c.from) → \(c.to)") }
            for c in d.queues {
                print(
                    "queue \(c.queue.padded(10)) \(c.change.padded(6)) \(c.asset) \(c.fromRank.map { "#\($0)" } ?? "–") → \(c.toRank.map { "#\($0)" } ?? "–")"
                )
            }
            print("\(d.alerts.count) alert changes, \(d.classes.count) class changes, \(d.queues.count) queue changes")
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Submissions, alerts and their handling, rule-set changes, repairs, checkpoints and the verification, between two recorded times.")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("Start (recorded time, inclusive): RFC 3339 or a date.", valueName: "time")) var from: String
        @Option(help: ArgumentHelp("End (exclusive; default: now).", valueName: "time")) var to: String?
        @Option(help: "md, csv or json.") var format: String = "md"
        @Option(help: ArgumentHelp("Rule-set folder.", valueName: "dir")) var rulesDir: String?

        func run() async throws {
            guard let f = AuditReport.Format(rawValue: format) else {
                throw CLIFailure(message: "--format: must be md, csv or json (got '\(format)')", exitCode: 2)
            }
            let period: (from: Int64, to: Int64)
            switch AuditReport.period(from: from, to: to) {
            case .success(let p): period = p
            case .failure(let e): throw CLIFailure(message: "--\(e.description)", exitCode: 2)
            }
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let files = try RuleFileRef.current(directory: rulesDir ?? RuleSetLoader.defaultDirectory)
            let report = try await AuditReport.make(store: s, from: period.from, to: period.to, ruleFiles: files)
            print(report.rendered(f), terminator: "")
        }
    }
}
