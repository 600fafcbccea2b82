import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections

/// Options shared by the projection commands: where the rules and snapshots are.
struct ProjectionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Rule-set folder (default: $PRESIDIO_RULES or ./projections).", valueName: "dir")) var rules: String?

    var rulesDirectory: String { rules ?? RuleSetLoader.defaultDirectory }

    /// Snapshots beside the embedded log; with PostgreSQL, in ./presidio-snapshots for now.
    var snapshots: any SnapshotStore {
        FileSnapshotStore(directory: store.postgresURL == nil ? store.dataDirectory + "/projections" : "presidio-snapshots")
    }

    func wasteSites(_ s: any EventStore) throws -> ProjectionRunner<WasteSiteProjection> {
        let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: rulesDirectory)
        return ProjectionRunner(projection: WasteSiteProjection(rules: rules), store: s, snapshots: snapshots)
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}

struct Projections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Projection workers: catch up, rebuild, status.", subcommands: [Run.self, Rebuild.self, Status.self])

    static let names = ["wastesites"]

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Catch up from the snapshot, publish alert transitions into the log, then follow new events (Ctrl-C stops).")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Stop after catching up and publishing.") var once = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let runner = try options.wasteSites(s)
            let resumed = try runner.restore()
            try await runner.catchUp()
            let published = try await runner.publishAlerts()
            let st = try await runner.status()
            print("\(st.name): \(resumed ? "resumed from snapshot" : "rebuilt") at position \(st.position), \(published) alert events published, \(st.alertsFiring) firing")
            if once { return }
            for try await _ in s.subscribe(from: runner.position + 1) {
                try await runner.catchUp()
                let n = try await runner.publishAlerts()
                if n > 0 { print("position \(runner.position): \(n) alert events published") }
            }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a projection's snapshot and rebuild it from the whole log.")
        @OptionGroup var options: ProjectionOptions
        @Argument(help: "Projection name (default: all).") var name: String?

        func validate() throws {
            if let name, !Projections.names.contains(name) {
                throw ValidationError("unknown projection '\(name)'; one of \(Projections.names.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let runner = try options.wasteSites(s)
            try options.snapshots.delete(runner.projection.name)
            try await runner.catchUp()
            let st = try await runner.status()
            print(String(format: "%@: rebuilt %llu events in the log at %.0f events/s; snapshot sha256 %@", st.name, st.position, st.eventsPerSecond, st.snapshotSHA256))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Position, lag, rate, rule-set version and snapshot hash of each projection.")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let runner = try options.wasteSites(s)
            try runner.restore()
            let before = runner.position
            let head = try await s.headPosition()
            let lagBefore = head > before ? head - before : 0
            try await runner.catchUp()
            var st = try await runner.status()
            st.lag = lagBefore
            if json {
                try printJSON([st])
            } else {
                print("projection   position   lag (before catch-up)   events/s   rule set         advisory   snapshot sha256")
                print(
                    st.name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %9llu   %21llu   %8.0f   ", st.position, st.lag, st.eventsPerSecond)
                        + st.ruleSet.label.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + (st.ruleSet.advisory.isEmpty ? "no " : "yes") + "        "
                        + st.snapshotSHA256)
            }
        }
    }
}

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Alerts from every projection (human table, or --json).")
    @OptionGroup var options: ProjectionOptions
    @Option(help: "firing or resolved.") var state: String?
    @Option(help: "Asset domain (stream category), e.g. wastesite.") var domain: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let s = try options.store.open()
        defer { s.close() }
        let runner = try options.wasteSites(s)
        try runner.restore()
        try await runner.catchUp()
        let alerts = runner.state.alerts.values
            .filter { a in state.map { a.state.rawValue == $0 } ?? true }
            .filter { a in domain.map { a.asset.hasPrefix($0 + "-") } ?? true }
            .sorted { a, b in
                if a.state != b.state { return a.state == .firing }
                if a.severity != b.severity { return a.severity > b.severity }
                return a.raisedPosition > b.raisedPosition
            }
        if json { return try printJSON(alerts) }
        print("STATE     SEV       RAISED      ASSET               RULE                                   EVIDENCE")
        for a in alerts {
            let sev = a.severity.rawValue.uppercased() + (a.advisory ? "*" : "")
            print(
                a.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + sev.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
                    + a.raisedOn + "  " + a.asset.padding(toLength: 19, withPad: " ", startingAt: 0) + " " + a.rule.padding(toLength: 38, withPad: " ", startingAt: 0)
                    + " " + String(a.evidence.prefix(80)))
        }
        print("\(alerts.count) alerts; * = advisory rule (not yet verified against the official sources); rule set \(runner.projection.ruleSet.label)")
    }
}

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Prioritised queues.", subcommands: [Inspection.self])

    struct Inspection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Waste-site inspection queue, with the reasons for each place.")
        @OptionGroup var options: ProjectionOptions
        @Option(help: "Day the queue is computed for (YYYY-MM-DD; default today).") var today: String?
        @Option(help: "At most this many entries.") var limit: Int = 30
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let day: Date
            if let today {
                guard let d = DomainTime.date(today) else { throw CLIFailure(message: "--today: must be YYYY-MM-DD (got '\(today)')", exitCode: 2) }
                day = d
            } else {
                day = Date()
            }
            let s = try options.store.open()
            defer { s.close() }
            let runner = try options.wasteSites(s)
            try runner.restore()
            try await runner.catchUp()
            let queue = Array(runner.projection.inspectionQueue(runner.state, today: day).prefix(limit))
            if json { return try printJSON(queue) }
            print("RANK  SITE     GRADE  SCORE   LAST INSP.  MUNICIPALITY          WHY")
            for e in queue {
                print(
                    String(format: "%4d  ", e.rank) + e.siteId + "   " + e.hazardGrade.padding(toLength: 5, withPad: " ", startingAt: 0) + String(format: "  %6.2f  ", e.score)
                        + (e.lastInspection ?? "never     ") + "  " + e.municipality.padding(toLength: 20, withPad: " ", startingAt: 0) + "  " + e.reasons.joined(separator: "; "))
            }
            print("rule set \(runner.projection.ruleSet.label)\(queue.first?.advisory == true ? " (advisory: weights and frequencies not yet verified)" : "")")
        }
    }
}

struct Asset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One asset's projected state and alerts as JSON (optionally as of a past position or time).")
    @OptionGroup var options: ProjectionOptions
    @Argument(help: "Asset stream, e.g. wastesite-WS0001.") var id: String
    @Option(help: "Log position to replay up to (auditors).") var asOf: UInt64?
    @Option(help: "Time to replay up to (RFC 3339; events recorded at or before it).") var asOfTime: String?

    struct View: Encodable {
        var asset: String
        var position: UInt64?
        var ruleSet: String
        var site: WasteSiteProjection.Site?
        var alerts: [AlertRecord]
    }

    func run() async throws {
        let s = try options.store.open()
        defer { s.close() }
        let runner = try options.wasteSites(s)
        let state: WasteSiteProjection.State
        if asOf != nil || asOfTime != nil {
            var micros: Int64?
            if let asOfTime {
                guard let d = DomainTime.dateTime(asOfTime) else { throw CLIFailure(message: "--as-of-time: must be RFC 3339", exitCode: 2) }
                micros = Int64(d.timeIntervalSince1970 * 1_000_000)
            }
            state = try await ProjectionRunner.asOf(projection: runner.projection, store: s, position: asOf, time: micros)
        } else {
            try runner.restore()
            try await runner.catchUp()
            state = runner.state
        }
        guard id.hasPrefix("wastesite-") else {
            throw CLIFailure(message: "only wastesite-… assets have a projection so far (bridges and meters: issue 5 continues)", exitCode: 2)
        }
        let siteId = String(id.dropFirst("wastesite-".count))
        guard let site = state.sites[siteId] else { throw CLIFailure(message: "no asset \(id) in the projection", exitCode: 1) }
        let view = View(
            asset: id, position: asOf, ruleSet: runner.projection.ruleSet.label, site: site,
            alerts: state.alerts.values.filter { $0.asset == id }.sorted { $0.raisedPosition < $1.raisedPosition })
        try printJSON(view)
    }
}
