import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections

/// `presidio bench detect`: the detectors against the generated city's ground truth.
struct BenchDetect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Generate the city data set, run the projections over it and score their alerts against the ground truth.")

    @OptionGroup var city: BenchCityOptions
    @Option(help: "Scratch folder, removed afterwards.") var scratch: String = "./presidio-bench-detect"
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Also list the false positives of this rule (e.g. meter.drift).") var showUnmatched: String?
    @Option(help: "Also list the ground truths of this kind no alert found (e.g. spike).") var showMissed: String?
    @Option(help: "School buildings in the city (4 meters each; default: the whole city, 250).") var buildings: Int?

    func run() async throws {
        let (bridgeRules, meterRules, siteRules) = try city.ruleSets()
        let seed = city.seed
        let days = city.days
        try? FileManager.default.removeItem(atPath: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let store = try SegmentStore(directory: scratch)
        defer { store.close() }
        let t0 = Date()
        var options = CityGenerator.Options(seed: seed, days: days)
        if let buildings { options.buildings = buildings }
        let truth = try await BenchProjections.loadCity(options, into: store)
        let generated = Date().timeIntervalSince(t0)
        let snapshots = FileSnapshotStore(directory: scratch + "/projections")
        let meters = ProjectionRunner(projection: MeterProjection(rules: meterRules), store: store, snapshots: snapshots)
        let sites = ProjectionRunner(projection: WasteSiteProjection(rules: siteRules), store: store, snapshots: snapshots)
        let bridges = ProjectionRunner(projection: BridgeProjection(rules: bridgeRules), store: store, snapshots: snapshots)
        let t1 = Date()
        try await meters.catchUp(saveSnapshots: false)
        try await sites.catchUp(saveSnapshots: false)
        try await bridges.catchUp(saveSnapshots: false)
        let projected = Date().timeIntervalSince(t1)
        let scores = DetectionScorer.score(
            truth: truth, alerts: Array(meters.state.alerts.values) + Array(sites.state.alerts.values) + Array(bridges.state.alerts.values))
        if let rule = showUnmatched {
            let all = Array(meters.state.alerts.values) + Array(sites.state.alerts.values) + Array(bridges.state.alerts.values)
            for a in DetectionScorer.unmatched(rule: rule, truth: truth, alerts: all).sorted(by: { $0.raisedPosition < $1.raisedPosition }) {
                print("unmatched \(a.raisedOn) \(a.asset): \(a.evidence)")
                for t in truth where t.stream == a.asset { print("    truth \(t.kind.rawValue) \(t.from)…\(t.to ?? "") \(t.detail ?? "")") }
            }
        }
        if let kind = showMissed {
            let all = Array(meters.state.alerts.values) + Array(sites.state.alerts.values) + Array(bridges.state.alerts.values)
            for t in DetectionScorer.missed(kind: kind, truth: truth, alerts: all) {
                print("missed \(t.from)…\(t.to ?? "") \(t.stream) \(t.detail ?? "")")
                for a in all where a.asset == t.stream { print("    alert \(a.rule) \(a.raisedAt ?? a.raisedOn): \(a.evidence)") }
            }
        }
        if json { return try printJSON(scores) }
        print(
            "presidio bench detect — seed \(seed), \(days) days; rule sets \(meterRules.info.label), \(siteRules.info.label), \(bridgeRules.info.label)"
        )
        print(
            String(
                format: "data set: %llu events generated in %.1f s; projections replayed in %.1f s", try await store.headPosition(), generated,
                projected))
        print("kind                 rule                          truths  found  alerts  precision  recall  median delay")
        for s in scores {
            let p = s.precision.map { String(format: "%9.3f", $0) } ?? "        -"
            let r = s.recall.map { String(format: "%6.3f", $0) } ?? "     -"
            let d = s.medianDelayHours.map { String(format: "%8.1f h", $0) } ?? "         -"
            print(
                s.kind.padded(20) + " " + s.rule.padded(29)
                    + String(format: " %6d  %5d  %6d  ", s.truths, s.detected, s.alerts) + p + "  " + r + "  " + d)
        }
    }
}
