import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

/// Options shared by the projection commands: where the rules and snapshots are.
struct ProjectionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Rule-set folder (default: $PRESIDIO_RULES, ./projections, or the one beside the presidio binary's checkout).", valueName: "dir")) var rules: String?

    var rulesDirectory: String { rules ?? RuleSetLoader.defaultDirectory }

    /// Every projection over `s`, resuming from (and, for workers, saving) the snapshots.
    func projectionSet(_ s: any EventStore) throws -> ProjectionSet {
        try ProjectionSet(store: s, rulesDirectory: rulesDirectory, snapshots: try store.resolved.snapshots(for: s))
    }

    /// The read model now, computed without writing anything: resumes from the snapshots and
    /// applies what follows in memory (reading never writes; only the workers save snapshots).
    func readModel() async throws -> ReadModel {
        let s = try store.open(readOnly: true)
        defer { s.close() }
        let set = try projectionSet(s)
        try await set.restore()
        try await set.catchUp()
        return set.readModel()
    }
}

/// `--url` / `--token`: talk to a running server instead of opening the store.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A running presidio serve (default: $PRESIDIO_URL, or the server holding the data folder).", valueName: "url")) var url: String?
    @Option(help: ArgumentHelp("Bearer token for --url (default: $PRESIDIO_TOKEN).", valueName: "token")) var token: String?

    /// The client to use, if a server is to be used: `--url`, `$PRESIDIO_URL`, or the server
    /// that holds the embedded folder (with its local token unless one is given).
    func client(_ store: StoreOptions, actor: String? = nil) -> PresidioClient? {
        let env = ProcessInfo.processInfo.environment
        let tok = token ?? env["PRESIDIO_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let u = url ?? env["PRESIDIO_URL"].flatMap({ $0.isEmpty ? nil : $0 }) { return PresidioClient(baseURL: u, token: tok, actor: actor) }
        if let s = store.server { return PresidioClient(baseURL: s.url, token: tok ?? s.localToken, actor: actor) }
        return nil
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}

func printRawJSON(_ data: Data) {
    if let obj = try? JSONSerialization.jsonObject(with: data), let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
        print(String(decoding: pretty, as: UTF8.self))
    } else {
        print(String(decoding: data, as: UTF8.self))
    }
}

struct Projections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Projection workers: catch up, rebuild, status.", subcommands: [Run.self, Rebuild.self, Status.self])

    static var names: [String] { ProjectionSet.names }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Catch up from the snapshots, publish alert transitions into the log, then follow new events (Ctrl-C stops). `presidio serve` runs the same workers with the API.")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Stop after catching up and publishing.") var once = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let set = try options.projectionSet(s)
            let resumed = try await set.restore()
            var last = Date()
            try await set.catchUp { p in
                if isatty(2) != 0, Date().timeIntervalSince(last) > 1 {
                    last = Date()
                    FileHandle.standardError.write(Data("\rcatching up: position \(p)".utf8))
                }
            }
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            for w in set.workers {
                let published = try await w.publishAlerts()
                try await w.saveSnapshot()
                let st = try await w.workerStatus()
                print("\(st.name): \(resumed[w.name] == true ? "resumed from snapshot" : "rebuilt") at position \(st.position), \(published) alert events published, \(st.alertsFiring) firing")
            }
            if once { return }
            let follow = FollowService(set: set, live: LiveReadModel(), publishes: true, logger: .presidio(label: "projections"))
            try await follow.run()
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
            let set = try options.projectionSet(s)
            let head = try await s.headPosition()
            let chosen = set.workers.filter { name == nil || $0.name == name }
            for w in chosen {
                try await w.dropSnapshot()
                try await w.restore()
            }
            // One read of the log for every projection rebuilt; progress on a terminal.
            let started = Date()
            var last = Date()
            while true {
                let from = chosen.map(\.position).min() ?? head
                let page = try await s.read(from: from + 1, limit: 4096)
                if page.isEmpty { break }
                for w in chosen { w.apply(page: page) }
                if isatty(2) != 0, Date().timeIntervalSince(last) >= 1 {
                    last = Date()
                    FileHandle.standardError.write(Data("\rrebuilding: position \(page.last!.position) of \(head)".utf8))
                }
            }
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let secs = Date().timeIntervalSince(started)
            for w in chosen {
                try await w.saveSnapshot()
                let st = try await w.workerStatus()
                print(String(format: "%@: rebuilt over %llu log events in %.1f s (%.0f events/s); snapshot sha256 %@", st.name, st.position, secs, secs > 0 ? Double(st.position) / secs : 0, st.snapshotSHA256))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Position, lag, rate, rule-set version and snapshot hash of each projection (reads only).")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try options.store.open(readOnly: true)
            defer { s.close() }
            let head = try await s.headPosition()
            var statuses: [ProjectionStatus] = []
            for w in try options.projectionSet(s).workers {
                try await w.restore()
                let before = w.position
                try await w.catchUp(until: nil, untilTime: nil, saveSnapshots: false)
                var st = try await w.workerStatus()
                st.lag = head > before ? head - before : 0
                statuses.append(st)
            }
            if json { return try printJSON(statuses) }
            print("projection   position   lag (before catch-up)   events/s   rule set         advisory   firing   parked   snapshot sha256")
            for st in statuses {
                print(
                    st.name.padded(12) + String(format: " %9llu   %21llu   %8.0f   ", st.position, st.lag, st.eventsPerSecond)
                        + st.ruleSet.label.padded(16) + " " + (st.ruleSet.advisory.isEmpty ? "no " : "yes")
                        + String(format: "        %6d   %6d   ", st.alertsFiring, st.parkedEvents) + st.snapshotSHA256)
            }
            // Parked events: what an operator must look at (the projection went on without them).
            for st in statuses where st.parkedEvents > 0 {
                print("\n\(st.name): \(st.parkedEvents) event\(st.parkedEvents == 1 ? "" : "s") parked (could not be applied; a rebuild after a fix applies them)\(st.parkedEvents > st.parked.count ? ", the latest \(st.parked.count):" : ":")")
                for p in st.parked { print("  position \(p.position)  \(p.type) v\(p.schemaVersion) on \(p.stream): \(p.reason)") }
            }
            for st in statuses where !st.unpublishable.isEmpty {
                print("\n\(st.name): alerts that could not be published: \(st.unpublishable.joined(separator: ", "))")
            }
        }
    }
}

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Alerts from every projection (human table, or --json); through the server when one runs.")
    @OptionGroup var options: ProjectionOptions
    @OptionGroup var remote: RemoteOptions
    @Option(help: "firing or resolved.") var state: String?
    @Option(help: "Asset domain (stream category), e.g. wastesite.") var domain: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let state, AlertRecord.State(rawValue: state) == nil { throw ValidationError("--state: must be firing or resolved") }
        if let domain, AssetID.Domain(rawValue: domain) == nil { throw ValidationError("--domain: must be one of \(AssetID.Domain.allCases.map(\.rawValue).joined(separator: ", "))") }
    }

    func run() async throws {
        var alerts: [AlertRecord]
        if let client = remote.client(options.store) {
            alerts = []
            var cursor: String?
            repeat {
                var q: [(String, String)] = [("limit", "1000")]
                if let state { q.append(("state", state)) }
                if let domain { q.append(("domain", domain)) }
                if let cursor { q.append(("cursor", cursor)) }
                let data = try await client.get("/v1/alerts", query: q)
                struct Page: Decodable {
                    var items: [AlertRecord]
                    var nextCursor: String?
                }
                let page = try JSONDecoder().decode(Page.self, from: data)
                alerts += page.items
                cursor = page.nextCursor
            } while cursor != nil
        } else {
            alerts = try await options.readModel().alerts
                .filter { a in state.map { a.state.rawValue == $0 } ?? true }
                .filter { a in domain.map { a.asset.hasPrefix($0 + "-") } ?? true }
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
    static let configuration = CommandConfiguration(abstract: "Prioritised queues (through the server when one runs).", subcommands: [Safety.self, Inspection.self, Overdue.self])

    /// `--today`, `--limit`, `--json`, shared by the queue views.
    struct ViewOptions: ParsableArguments {
        @Option(help: "Day the view is computed for (YYYY-MM-DD; default today).") var today: String?
        @Option(help: "At most this many entries.") var limit: Int = 30
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let today, DomainTime.date(today) == nil { throw ValidationError("--today: must be YYYY-MM-DD (got '\(today)')") }
            if limit < 1 || limit > 5000 { throw ValidationError("--limit: must be from 1 to 5000") }
        }
        var day: Date { today.flatMap(DomainTime.date) ?? Date() }
    }

    struct Remote<T: Decodable>: Decodable {
        var ruleSet: String
        var entries: [T]
    }

    /// The queue's entries and rule-set label: from the server, or computed from the store.
    static func load<T: Decodable>(
        _ name: String, _ options: ProjectionOptions, _ remote: RemoteOptions, _ view: ViewOptions, local: (ReadModel) -> ([T], String)
    ) async throws -> ([T], String) {
        if let client = remote.client(options.store) {
            var q = [("limit", String(view.limit))]
            if let t = view.today { q.append(("today", t)) }
            let r = try JSONDecoder().decode(Remote<T>.self, from: try await client.get("/v1/queues/\(name)", query: q))
            return (r.entries, r.ruleSet)
        }
        let (all, label) = local(try await options.readModel())
        return (Array(all.prefix(view.limit)), label)
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bridges whose periodic inspection is past due (frequency per class from the rule set).")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (rows, label): ([OverdueInspection], String) = try await Queue.load("overdue", options, remote, view) { m in
                (m.overdueInspections(today: view.day), m.bridgeProjection.ruleSet.label)
            }
            if view.json { return try printJSON(rows) }
            print("BRIDGE  CdA          LAST INSP.  DUE         DAYS OVERDUE  NAME")
            for o in rows {
                print(
                    o.bridgeId + "  " + (o.overall ?? "n/c").padded(11) + "  " + (o.lastInspection ?? "never     ")
                        + "  " + (o.due ?? "-") + String(format: "  %12d  ", o.daysOverdue) + o.name)
            }
            print("\(rows.count) bridges shown; rule set \(label) (frequencies advisory)")
        }
    }

    struct Safety: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bridges that need a Level 3/4 safety assessment, most urgent first, with why.")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (queue, label): ([SafetyQueueEntry], String) = try await Queue.load("safety", options, remote, view) { m in
                (m.safetyQueue(today: view.day), m.bridgeProjection.ruleSet.label)
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
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (queue, label): ([InspectionQueueEntry], String) = try await Queue.load("inspection", options, remote, view) { m in
                (m.inspectionQueue(today: view.day), m.wasteSiteProjection.ruleSet.label)
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
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Asset id, e.g. bridge-MI0001, meter-SC0001-W1, wastesite-WS0001, building-SC0001.") var id: String
    @Option(help: "Log position to replay up to (auditors).") var asOf: UInt64?
    @Option(help: "Time to replay up to (RFC 3339; events recorded at or before it).") var asOfTime: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if AssetID(id) == nil { throw ValidationError("asset ids look like \(AssetID.examples) (got '\(id)')") }
        if let asOfTime, DomainTime.dateTime(asOfTime) == nil { throw ValidationError("--as-of-time: must be RFC 3339 (got '\(asOfTime)')") }
    }

    func run() async throws {
        let view: AssetView
        if let client = remote.client(options.store) {
            var q: [(String, String)] = []
            if let asOf { q.append(("asOf", String(asOf))) }
            if let asOfTime { q.append(("asOfTime", asOfTime)) }
            let r = try await client.send("GET", "/v1/assets/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)", query: q)
            guard r.ok else { throw CLIFailure(message: PresidioClient.failure(r).description) }
            view = try JSONDecoder().decode(AssetView.self, from: r.body)
        } else if asOf != nil || asOfTime != nil {
            let s = try options.store.open(readOnly: true)
            defer { s.close() }
            let micros = asOfTime.flatMap(DomainTime.dateTime).map { Int64($0.timeIntervalSince1970 * 1_000_000) }
            view = try await AssetView.asOf(id, store: s, rulesDirectory: options.rulesDirectory, position: asOf, time: micros, timeText: asOfTime)
        } else {
            do { view = try AssetView.make(id, in: try await options.readModel()) } catch let e as AssetView.LookupError { throw CLIFailure(message: e.description) }
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
        if let b = view.building {
            print("  \(b.name), \(b.municipality); \(b.floorAreaM2) m²")
        }
        print("  alerts:")
        for a in view.alerts {
            print("    \(a.state.rawValue.padded(8)) \(a.severity.rawValue.uppercased())\(a.advisory ? "*" : "") \(a.raisedOn) \(a.rule): \(a.evidence)")
            if let r = a.resolution { print("             resolved \(a.resolvedOn ?? ""): \(r)") }
            for k in a.acknowledgements { print("             acknowledged \(k.at) by \(k.by): \(k.note)") }
        }
        if view.alerts.isEmpty { print("    none") }
    }
}

extension String {
    /// This string cut or padded with spaces to `width` characters: one column of a table.
    func padded(_ width: Int) -> String { padding(toLength: width, withPad: " ", startingAt: 0) }
}
