import Domain
import Foundation

/// Scores detector alerts against the data set's ground truth, per anomaly kind.
public enum DetectionScorer {
    public struct Score: Codable, Sendable {
        public var kind: String
        public var rule: String
        public var truths: Int
        public var detected: Int
        public var alerts: Int
        public var matchedAlerts: Int
        public var precision: Double?
        public var recall: Double?
        public var medianDelayHours: Double?
    }

    /// Alert rule of each ground-truth kind; nil where no projection exists yet.
    public static let rules: [GroundTruth.Kind: String] = [
        .waterLeak: "meter.waterLeak", .stuckMeter: "meter.stuck", .counterRegression: "meter.counterRegression", .rollover: "meter.rollover",
        .gap: "meter.gap", .spike: "meter.spike", .heatingOutOfSeason: "meter.heatingOutOfSeason", .drift: "meter.drift",
        .outOfHours: "meter.outOfHours",
        .nonCompliance: "wastesite.nonCompliance", .fire: "wastesite.fire", .dangerousDefect: "bridge.dangerousDefect",
    ]

    static func instant(_ s: String) -> Date? { DomainTime.dateTime(s) ?? DomainTime.date(String(s.prefix(10))) }

    /// How far after (and before) the truth window an alert still counts as finding it.
    static func tolerance(_ k: GroundTruth.Kind) -> (before: TimeInterval, after: TimeInterval) {
        switch k {
        case .spike, .rollover, .counterRegression: (900, 900)
        case .gap: (900, 3600)
        case .stuckMeter, .waterLeak, .heatingOutOfSeason, .outOfHours: (0, 86400 * 2)
        case .drift: (0, 86400 * 60)
        case .nonCompliance, .fire, .dangerousDefect: (0, 86400)
        }
    }

    /// Whether alert `a` finds ground truth `t` of `kind` (whose alert rule is `rule`): same
    /// asset, the rule or one of its sub-rules, raised within the truth's window and tolerance.
    static func matches(_ a: AlertRecord, _ t: GroundTruth, kind: GroundTruth.Kind, rule: String) -> Bool {
        guard a.asset == t.stream, a.rule == rule || a.rule.hasPrefix(rule + "."), let at = instant(a.raisedAt ?? a.raisedOn),
            let from = instant(t.from)
        else { return false }
        if kind == .nonCompliance {
            // The site is known non-compliant on that day: raised then, or still open from before.
            let day = String(t.from.prefix(10))
            return a.raisedOn <= day && (a.resolvedOn.map { $0 >= day } ?? true)
        }
        let tol = tolerance(kind)
        let to = t.to.flatMap(instant) ?? from
        return at >= from.addingTimeInterval(-tol.before) && at <= to.addingTimeInterval(tol.after)
    }

    /// Alerts of `rule` that match no ground truth (false positives), for tuning.
    public static func unmatched(rule: String, truth: [GroundTruth], alerts: [AlertRecord]) -> [AlertRecord] {
        guard let kind = rules.first(where: { $0.value == rule })?.key else { return [] }
        let truths = truth.filter { $0.kind == kind }
        return alerts.filter { $0.rule == rule }.filter { a in !truths.contains { matches(a, $0, kind: kind, rule: rule) } }
    }

    /// Ground truths of `kind` (e.g. "spike") that no alert found, for tuning.
    public static func missed(kind name: String, truth: [GroundTruth], alerts: [AlertRecord]) -> [GroundTruth] {
        guard let kind = GroundTruth.Kind(rawValue: name), let rule = rules[kind] else { return [] }
        return truth.filter { $0.kind == kind }.filter { t in !alerts.contains { matches($0, t, kind: kind, rule: rule) } }
    }

    public static func score(truth: [GroundTruth], alerts: [AlertRecord]) -> [Score] {
        var out: [Score] = []
        let byAsset = Dictionary(grouping: alerts, by: \.asset)
        for kind in GroundTruth.Kind.allCases {
            let rule = rules[kind] ?? "-"
            let truths = truth.filter { $0.kind == kind }
            let candidates = alerts.filter { $0.rule == rule || $0.rule.hasPrefix(rule + ".") }
            func alertTime(_ a: AlertRecord) -> Date? { instant(a.raisedAt ?? a.raisedOn) }
            func matches(_ a: AlertRecord, _ t: GroundTruth) -> Bool { Self.matches(a, t, kind: kind, rule: rule) }
            var detected = 0
            var delays: [Double] = []
            for t in truths {
                let hits = (byAsset[t.stream] ?? []).filter { matches($0, t) }
                guard !hits.isEmpty else { continue }
                detected += 1
                if let from = instant(t.from), let first = hits.compactMap(alertTime).min() {
                    delays.append(max(0, first.timeIntervalSince(from)) / 3600)
                }
            }
            var matched = 0
            let truthByStream = Dictionary(grouping: truths, by: \.stream)
            for a in candidates
            where (truthByStream[a.asset] ?? []).contains(where: { t in
                kind == .nonCompliance ? a.raisedOn == String(t.from.prefix(10)) || matches(a, t) : matches(a, t)
            }) {
                matched += 1
            }
            delays.sort()
            out.append(
                Score(
                    kind: kind.rawValue, rule: rules[kind] == nil ? "(no projection yet)" : rule, truths: truths.count, detected: detected,
                    alerts: candidates.count, matchedAlerts: matched,
                    precision: candidates.isEmpty ? nil : Double(matched) / Double(candidates.count),
                    recall: truths.isEmpty ? nil : Double(detected) / Double(truths.count),
                    medianDelayHours: delays.isEmpty ? nil : delays[delays.count / 2]))
        }
        return out
    }
}
