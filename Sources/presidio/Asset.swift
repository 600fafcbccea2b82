import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

struct Asset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One asset's projected state, why, and its alerts (optionally as of a past position or time).")
    @OptionGroup var options: ProjectionOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Asset id, e.g. bridge-MI0001, meter-SC0001-W1, wastesite-WS0001, building-SC0001.") var id: String
    @Option(help: "Log position to replay up to (auditors).") var asOf: UInt64?
    @Option(help: "Time to replay up to (RFC 3339), on --clock.") var asOfTime: String?
    @Option(help: "recorded (what Presidio knew at --as-of-time) or observed (facts observed by then, whenever recorded).")
    var clock: String = "recorded"
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if AssetID(id) == nil { throw ValidationError("asset ids look like \(AssetID.examples) (got '\(id)')") }
        if let asOfTime, DomainTime.dateTime(asOfTime) == nil { throw ValidationError("--as-of-time: must be RFC 3339 (got '\(asOfTime)')") }
        if ReplayLimit.Clock(rawValue: clock) == nil { throw ValidationError("--clock: must be recorded or observed (got '\(clock)')") }
    }

    func run() async throws {
        let view: AssetView
        if let client = remote.client(options.store) {
            var q: [(String, String)] = []
            if let asOf { q.append(("asOf", String(asOf))) }
            if let asOfTime { q.append(("asOfTime", asOfTime)) }
            if clock != "recorded" { q.append(("clock", clock)) }
            let r = try await client.send("GET", "/v1/assets/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)", query: q)
            guard r.ok else { throw CLIFailure(message: PresidioClient.failure(r).description) }
            view = try JSONDecoder().decode(AssetView.self, from: r.body)
        } else if asOf != nil || asOfTime != nil {
            let s = try options.store.open(readOnly: true)
            defer { s.close() }
            let micros = asOfTime.flatMap(DomainTime.dateTime).map { Int64($0.timeIntervalSince1970 * 1_000_000) }
            do {
                view = try await AssetView.asOf(
                    id, store: s, rulesDirectory: options.rulesDirectory, position: asOf, time: micros, timeText: asOfTime,
                    clock: ReplayLimit.Clock(rawValue: clock)!)
            } catch let e as AssetView.LookupError { throw CLIFailure(message: e.description) }
        } else {
            do { view = try AssetView.make(id, in: try await options.readModel()) } catch let e as AssetView.LookupError {
                throw CLIFailure(message: e.description)
            }
        }
        if json { return try printJSON(view) }
        print(
            "\(view.asset)\(asOf.map { " as of position \($0)" } ?? asOfTime.map { " as of \($0) (\(view.clock ?? clock) clock)" } ?? "") — rule set \(view.ruleSet)"
        )
        if let b = view.bridge {
            print(
                "  \(b.census.name), \(b.census.road) km \(b.census.kmStart), \(b.census.municipality); built \(b.census.yearBuilt), \(b.census.material.rawValue), \(b.census.spans) spans"
            )
            if let a = b.attention {
                print("  last inspection: \(b.lastInspection ?? "none")")
                print(
                    "  Class of Attention: \(view.attentionClass ?? "not classifiable")\(a.override ? " (override: defect level Alto)" : "")\(a.provisional ? " — provisional, waiting for \(a.missing.joined(separator: ", "))" : "")"
                )
                for t in a.trace { print("    · \(t)") }
                for g in a.notClassifiable { print("    ? \(g)") }
            }
            print("  next step: \(view.nextStep ?? "-")\(view.due.map { ", due \($0)" } ?? "")")
            for n in b.needs.dropFirst() { print("  also needs: \(n.step)\(n.due.map { ", due \($0)" } ?? "") (\(n.reason))") }
            if let t = b.traffic { print("  traffic measure: \(t.rawValue)\(b.loadLimitTonnes.map { " \($0) t" } ?? "")") }
        }
        if let site = view.site {
            print(
                "  \(site.operatorName), \(site.municipality); hazard \(site.hazardGrade.rawValue); \(site.inspections) inspections, last \(site.lastInspection ?? "never")"
            )
            print(
                "  open non-compliances: \(site.openItems.keys.sorted().joined(separator: ", ").isEmpty ? "none" : site.openItems.keys.sorted().joined(separator: ", "))"
            )
            if let due = site.followUpDue { print("  follow-up due: \(due)") }
            if !site.fires.isEmpty { print("  fires: \(site.fires.joined(separator: ", "))") }
        }
        if let m = view.meter {
            print(
                "  \(m.kind.rawValue) meter (\(m.usage.rawValue)) of building \(m.buildingId); last reading \(m.lastValue.map { "\($0) \(m.kind.unit)" } ?? "-") at \(m.lastAt ?? "-"); \(m.days) days seen"
            )
        }
        if let b = view.building {
            print("  \(b.name), \(b.municipality); \(b.floorAreaM2) m²")
        }
        print("  alerts:")
        for a in view.alerts {
            print(
                "    \(a.state.rawValue.padded(8)) \(a.severity.rawValue.uppercased())\(a.advisory ? "*" : "") \(a.raisedOn) \(a.rule): \(a.evidence)"
            )
            if let r = a.resolution { print("             resolved \(a.resolvedOn ?? ""): \(r)") }
            for k in a.acknowledgements { print("             acknowledged \(k.at) by \(k.by): \(k.note)") }
        }
        if view.alerts.isEmpty { print("    none") }
    }
}
