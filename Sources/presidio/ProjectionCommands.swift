import ArgumentParser
import Domain
import EventLog
import EventLogPostgres
import Foundation
import Projections

/// Options shared by the projection commands: where the rules and snapshots are.
struct ProjectionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Rule-set folder (default: $PRESIDIO_RULES or ./projections).", valueName: "dir")) var rules: String?

    var rulesDirectory: String { rules ?? RuleSetLoader.defaultDirectory }

    /// Snapshots beside the embedded log, or in the PostgreSQL store's `snapshots` table.
    func snapshots(for s: any EventStore) -> any SnapshotStore {
        if let pg = s as? PostgresStore { return PostgresSnapshotStore(store: pg) }
        return FileSnapshotStore(directory: store.dataDirectory + "/projections")
    }

    func wasteSites(_ s: any EventStore) throws -> ProjectionRunner<WasteSiteProjection> {
        let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: rulesDirectory)
        return ProjectionRunner(projection: WasteSiteProjection(rules: rules), store: s, snapshots: snapshots(for: s))
    }

    func meters(_ s: any EventStore) throws -> ProjectionRunner<MeterProjection> {
        let rules = try RuleSetLoader.load(MeterRules.self, name: "meters", directory: rulesDirectory)
        return ProjectionRunner(projection: MeterProjection(rules: rules), store: s, snapshots: snapshots(for: s))
    }

    func bridges(_ s: any EventStore) throws -> ProjectionRunner<BridgeProjection> {
        let rules = try RuleSetLoader.load(BridgeRules.self, name: "bridges", directory: rulesDirectory)
        return ProjectionRunner(projection: BridgeProjection(rules: rules), store: s, snapshots: snapshots(for: s))
    }

    /// Every projection, or the one named.
    func workers(_ s: any EventStore, only: String? = nil) throws -> [any ProjectionWorker] {
        let all: [any ProjectionWorker] = [try bridges(s), try meters(s), try wasteSites(s)]
        return all.filter { only == nil || $0.name == only }
    }

    /// Every projection, caught up with the log (resumed from its snapshot).
    func caughtUp(_ s: any EventStore) async throws -> [any ProjectionWorker] {
        let ws = try workers(s)
        for w in ws {
            try await w.restore()
            try await w.catchUp()
        }
        return ws
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

    static let names = ["bridges", "meters", "wastesites"]

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Catch up from the snapshot, publish alert transitions into the log, then follow new events (Ctrl-C stops).")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Stop after catching up and publishing.") var once = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let workers = try options.workers(s)
            for w in workers {
                let resumed = try await w.restore()
                try await w.catchUp()
                let published = try await w.publishAlerts()
                let st = try await w.workerStatus()
                print("\(st.name): \(resumed ? "resumed from snapshot" : "rebuilt") at position \(st.position), \(published) alert events published, \(st.alertsFiring) firing")
            }
            if once { return }
            var next = try await s.headPosition() + 1
            for try await e in s.subscribe(from: next) {
                guard e.position >= next else { continue }
                for w in workers {
                    try await w.catchUp()
                    let n = try await w.publishAlerts()
                    if n > 0 { print("\(w.name): \(n) alert events published") }
                }
                next = try await s.headPosition() + 1
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
            for w in try options.workers(s, only: name) {
                try await w.dropSnapshot()
                try await w.restore()
                try await w.catchUp()
                let st = try await w.workerStatus()
                print(String(format: "%@: rebuilt over %llu log events at %.0f events/s; snapshot sha256 %@", st.name, st.position, st.eventsPerSecond, st.snapshotSHA256))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Position, lag, rate, rule-set version and snapshot hash of each projection.")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let head = try await s.headPosition()
            var statuses: [ProjectionStatus] = []
            for w in try options.workers(s) {
                try await w.restore()
                let before = try await w.workerStatus().position
                try await w.catchUp()
                var st = try await w.workerStatus()
                st.lag = head > before ? head - before : 0
                statuses.append(st)
            }
            if json { return try printJSON(statuses) }
            print("projection   position   lag (before catch-up)   events/s   rule set         advisory   firing   snapshot sha256")
            for st in statuses {
                print(
                    st.name.padded(12) + String(format: " %9llu   %21llu   %8.0f   ", st.position, st.lag, st.eventsPerSecond)
                        + st.ruleSet.label.padded(16) + " " + (st.ruleSet.advisory.isEmpty ? "no " : "yes")
                        + String(format: "        %6d   ", st.alertsFiring) + st.snapshotSHA256)
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
        let workers = try await options.caughtUp(s)
        let alerts = workers.flatMap(\.alertRecords)
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
                a.state.rawValue.padded(9) + " " + sev.padded(9) + " "
                    + a.raisedOn + "  " + a.asset.padded(19) + " " + a.rule.padded(38)
                    + " " + String(a.evidence.prefix(80)))
        }
        print("\(alerts.count) alerts; * = advisory rule (not yet verified against the official sources); rule sets: \(Set(alerts.map(\.ruleSet)).sorted().joined(separator: ", "))")
    }
}

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Prioritised queues.", subcommands: [Safety.self, Inspection.self, Overdue.self])

    /// `--today`, `--limit`, `--json`, shared by the queue views.
    struct ViewOptions: ParsableArguments {
        @Option(help: "Day the view is computed for (YYYY-MM-DD; default today).") var today: String?
        @Option(help: "At most this many entries.") var limit: Int = 30
        @Flag(help: "Print JSON.") var json = false
    }

    /// Opens the store, brings one projection up to date (from its snapshot) and hands it over.
    static func withCaughtUp<P: Projection, T>(
        _ options: ProjectionOptions, _ make: (ProjectionOptions, any EventStore) throws -> ProjectionRunner<P>,
        _ body: (ProjectionRunner<P>) throws -> T
    ) async throws -> T {
        let s = try options.store.open()
        defer { s.close() }
        let runner = try make(options, s)
        try await runner.restore()
        try await runner.catchUp()
        return try body(runner)
    }

    static func day(_ today: String?) throws -> Date {
        guard let today else { return Date() }
        guard let d = DomainTime.date(today) else { throw CLIFailure(message: "--today: must be YYYY-MM-DD (got '\(today)')", exitCode: 2) }
        return d
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bridges whose periodic inspection is past due (frequency per class from the rule set).")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let day = try Queue.day(view.today)
            let (all, label) = try await Queue.withCaughtUp(options, { try $0.bridges($1) }) { r in
                (r.projection.overdueInspections(r.state, today: day), r.projection.ruleSet.label)
            }
            let limit = view.limit
            if view.json { return try printJSON(Array(all.prefix(limit))) }
            print("BRIDGE  CdA          LAST INSP.  DUE         DAYS OVERDUE  NAME")
            for o in all.prefix(limit) {
                print(
                    o.bridgeId + "  " + (o.overall ?? "n/c").padded(11) + "  " + (o.lastInspection ?? "never     ")
                        + "  " + (o.due ?? "-") + String(format: "  %12d  ", o.daysOverdue) + o.name)
            }
            print("\(all.count) bridges overdue; rule set \(label) (frequencies advisory)")
        }
    }

    struct Safety: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bridges that need a Level 3/4 safety assessment, most urgent first, with why.")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let day = try Queue.day(view.today)
            let (queue, label) = try await Queue.withCaughtUp(options, { try $0.bridges($1) }) { r in
                (Array(r.projection.safetyQueue(r.state, today: day).prefix(view.limit)), r.projection.ruleSet.label)
            }
            if view.json { return try printJSON(queue) }
            print("RANK  BRIDGE  CdA          DEFECTS      NEXT STEP             DUE         WHY")
            for e in queue {
                print(
                    String(format: "%4d  ", e.rank) + e.bridgeId + "  " + e.overall.padded(11) + "  "
                        + e.defectLevel.padded(11) + "  " + e.step.padded(20)
                        + "  " + (e.due ?? "-").padded(10) + (e.overdue ? "!" : " ") + " " + e.reasons.joined(separator: "; "))
            }
            print("rule set \(label) (advisory: LG tables to be verified against the official text); ! = overdue")
        }
    }

    struct Inspection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Waste-site inspection queue, with the reasons for each place.")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let day = try Queue.day(view.today)
            let (queue, label) = try await Queue.withCaughtUp(options, { try $0.wasteSites($1) }) { r in
                (Array(r.projection.inspectionQueue(r.state, today: day).prefix(view.limit)), r.projection.ruleSet.label)
            }
            if view.json { return try printJSON(queue) }
            print("RANK  SITE     GRADE  SCORE   LAST INSP.  MUNICIPALITY          WHY")
            for e in queue {
                print(
                    String(format: "%4d  ", e.rank) + e.siteId + "   " + e.hazardGrade.padded(5) + String(format: "  %6.2f  ", e.score)
                        + (e.lastInspection ?? "never     ") + "  " + e.municipality.padded(20) + "  " + e.reasons.joined(separator: "; "))
            }
            print("rule set \(label)\(queue.first?.advisory == true ? " (advisory: weights and frequencies not yet verified)" : "")")
        }
    }
}

struct Asset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One asset's projected state, why, and its alerts (optionally as of a past position or time).")
    @OptionGroup var options: ProjectionOptions
    @Argument(help: "Asset stream, e.g. wastesite-WS0001.") var id: String
    @Option(help: "Log position to replay up to (auditors).") var asOf: UInt64?
    @Option(help: "Time to replay up to (RFC 3339; events recorded at or before it).") var asOfTime: String?
    @Flag(help: "Print JSON.") var json = false

    struct View: Encodable {
        init(
            asset: String, position: UInt64?, ruleSet: String, site: WasteSiteProjection.Site? = nil, meter: MeterProjection.Meter? = nil,
            bridge: BridgeProjection.Bridge? = nil, nextStep: String? = nil, due: String? = nil, attentionClass: String? = nil, alerts: [AlertRecord]
        ) {
            self.attentionClass = attentionClass
            self.asset = asset
            self.position = position
            self.ruleSet = ruleSet
            self.site = site
            self.meter = meter
            self.bridge = bridge
            self.nextStep = nextStep
            self.due = due
            self.alerts = alerts
        }

        var asset: String
        var position: UInt64?
        var ruleSet: String
        var site: WasteSiteProjection.Site?
        var meter: MeterProjection.Meter?
        var bridge: BridgeProjection.Bridge?
        var nextStep: String?
        var due: String?
        var attentionClass: String?
        var alerts: [AlertRecord]
    }

    func run() async throws {
        let s = try options.store.open()
        defer { s.close() }
        var micros: Int64?
        if let asOfTime {
            guard let d = DomainTime.dateTime(asOfTime) else { throw CLIFailure(message: "--as-of-time: must be RFC 3339", exitCode: 2) }
            micros = Int64(d.timeIntervalSince1970 * 1_000_000)
        }
        let view: View
        if id.hasPrefix("wastesite-") {
            let runner = try options.wasteSites(s)
            let state = try await replayed(runner, store: s, time: micros)
            guard let site = state.sites[String(id.dropFirst("wastesite-".count))] else { throw CLIFailure(message: "no asset \(id) in the projection") }
            view = View(asset: id, position: asOf, ruleSet: runner.projection.ruleSet.label, site: site, alerts: Self.alerts(state.alerts, id))
        } else if id.hasPrefix("meter-") {
            let runner = try options.meters(s)
            let state = try await replayed(runner, store: s, time: micros)
            guard let meter = state.meters[String(id.dropFirst("meter-".count))] else { throw CLIFailure(message: "no asset \(id) in the projection") }
            view = View(asset: id, position: asOf, ruleSet: runner.projection.ruleSet.label, meter: meter, alerts: Self.alerts(state.alerts, id))
        } else if id.hasPrefix("bridge-") {
            let runner = try options.bridges(s)
            let state = try await replayed(runner, store: s, time: micros)
            guard let bridge = state.bridges[String(id.dropFirst("bridge-".count))] else { throw CLIFailure(message: "no asset \(id) in the projection") }
            let (step, due) = runner.projection.nextStep(bridge)
            view = View(
                asset: id, position: asOf, ruleSet: runner.projection.ruleSet.label, bridge: bridge, nextStep: step, due: due,
                attentionClass: bridge.attention?.overall.map { runner.projection.rules.classes[$0 - 1] }, alerts: Self.alerts(state.alerts, id))
        } else {
            throw CLIFailure(message: "asset ids look like bridge-MI0001, meter-SC0001-W1 or wastesite-WS0001 (got '\(id)')", exitCode: 2)
        }
        if json { return try printJSON(view) }
        print("\(view.asset)\(asOf.map { " as of position \($0)" } ?? asOfTime.map { " as of \($0)" } ?? "") — rule set \(view.ruleSet)")
        if let b = view.bridge {
            print("  \(b.census.name), \(b.census.road) km \(b.census.kmStart), \(b.census.municipality); built \(b.census.yearBuilt), \(b.census.material.rawValue), \(b.census.spans) spans")
            if let a = b.attention {
                print("  last inspection: \(b.lastInspection ?? "none")")
                print("  Class of Attention: \(view.attentionClass ?? "not classifiable")\(a.override ? " (override: defect level Alto)" : "")")
                for t in a.trace { print("    · \(t)") }
                for g in a.notClassifiable { print("    ? \(g)") }
            }
            print("  next step: \(view.nextStep ?? "-")\(view.due.map { ", due \($0)" } ?? "")")
            if let t = b.traffic { print("  traffic measure: \(t.rawValue)\(b.loadLimitTonnes.map { " \($0) t" } ?? "")") }
        }
        if let site = view.site {
            print("  \(site.operatorName), \(site.municipality); hazard \(site.hazardGrade.rawValue); \(site.inspections) inspections, last \(site.lastInspection ?? "never")")
            print("  open non-compliances: \(site.openItems.keys.sorted().joined(separator: ", ").isEmpty ? "none" : site.openItems.keys.sorted().joined(separator: ", "))")
            if let due = site.followUpDue { print("  follow-up due: \(due)") }
            if !site.fires.isEmpty { print("  fires: \(site.fires.joined(separator: ", "))") }
        }
        if let m = view.meter {
            print("  \(m.kind.rawValue) meter (\(m.usage.rawValue)) of building \(m.buildingId); last reading \(m.lastValue.map { "\($0)" } ?? "-") at \(m.lastAt ?? "-"); \(m.days) days seen")
        }
        print("  alerts:")
        for a in view.alerts {
            print("    \(a.state.rawValue.padded(8)) \(a.severity.rawValue.uppercased())\(a.advisory ? "*" : "") \(a.raisedOn) \(a.rule): \(a.evidence)")
            if let r = a.resolution { print("             resolved \(a.resolvedOn ?? ""): \(r)") }
            for k in a.acknowledgements { print("             acknowledged \(k.at) by \(k.by): \(k.note)") }
        }
        if view.alerts.isEmpty { print("    none") }
    }

    static func alerts(_ all: [String: AlertRecord], _ id: String) -> [AlertRecord] {
        all.values.filter { $0.asset == id }.sorted { $0.raisedPosition < $1.raisedPosition }
    }

    /// Current state (from the snapshot), or replayed up to --as-of / --as-of-time.
    func replayed<P: Projection>(_ runner: ProjectionRunner<P>, store: any EventStore, time: Int64?) async throws -> P.State {
        if asOf != nil || time != nil {
            return try await ProjectionRunner.asOf(projection: runner.projection, store: store, position: asOf, time: time)
        }
        try await runner.restore()
        try await runner.catchUp()
        return runner.state
    }
}

/// Snapshots in PostgreSQL, beside a PostgreSQL log.
struct PostgresSnapshotStore: SnapshotStore {
    let store: PostgresStore

    func load(_ name: String) async throws -> Snapshot? {
        guard let s = try await store.loadSnapshot(name: name) else { return nil }
        let snap = Snapshot(name: s.name, codeVersion: s.codeVersion, ruleSet: s.ruleSet, position: s.position, state: s.state)
        return snap.sha256 == s.sha256 ? snap : nil
    }

    func save(_ s: Snapshot) async throws {
        try await store.saveSnapshot(
            .init(name: s.name, position: s.position, codeVersion: s.codeVersion, ruleSet: s.ruleSet, state: s.state, sha256: s.sha256))
    }

    func delete(_ name: String) async throws { try await store.deleteSnapshot(name: name) }
}

extension String {
    /// This string cut or padded with spaces to `width` characters: one column of a table.
    func padded(_ width: Int) -> String { padding(toLength: width, withPad: " ", startingAt: 0) }
}
