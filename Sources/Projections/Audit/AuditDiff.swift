import Domain
import EventLog
import Foundation

/// What changed between two instants (one clock): alerts raised, resolved, acknowledged or
/// escalated; bridges whose attention class changed; entries that joined or left the queues.
public struct AuditDiff: Encodable, Sendable {
    public struct AlertChange: Encodable, Sendable {
        public var id: String
        public var asset: String
        public var rule: String
        /// raised | resolved | reopened | acknowledged | escalated
        public var change: String
        public var from: String?
        public var to: String?
    }
    public struct ClassChange: Encodable, Sendable {
        public var bridge: String
        public var from: String
        public var to: String
    }
    public struct QueueChange: Encodable, Sendable {
        public var queue: String
        public var asset: String
        /// joined | left | moved
        public var change: String
        public var fromRank: Int?
        public var toRank: Int?
    }

    public var clock: String
    public var from: String
    public var to: String
    public var fromPosition: UInt64
    public var toPosition: UInt64
    public var ruleFiles: [RuleFileRef]
    public var alerts: [AlertChange]
    public var classes: [ClassChange]
    public var queues: [QueueChange]

    public static func between(_ a: AuditReplay.Replayed, _ b: AuditReplay.Replayed, clock: ReplayLimit.Clock) -> AuditDiff {
        var alerts: [AlertChange] = []
        let before = Dictionary(a.model.allAlerts.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        for n in b.model.allAlerts.sorted(by: { $0.id < $1.id }) {
            guard let o = before[n.id] else {
                alerts.append(AlertChange(id: n.id, asset: n.asset, rule: n.rule, change: "raised", from: nil, to: n.severity.rawValue))
                if n.state == .resolved {
                    alerts.append(AlertChange(id: n.id, asset: n.asset, rule: n.rule, change: "resolved", from: nil, to: n.resolution))
                }
                continue
            }
            if o.state != n.state {
                alerts.append(
                    AlertChange(
                        id: n.id, asset: n.asset, rule: n.rule, change: n.state == .resolved ? "resolved" : "reopened", from: o.state.rawValue,
                        to: n.state.rawValue))
            }
            if n.acknowledgements.count > o.acknowledgements.count {
                for k in n.acknowledgements[o.acknowledgements.count...] {
                    alerts.append(AlertChange(id: n.id, asset: n.asset, rule: n.rule, change: "acknowledged", from: nil, to: "\(k.by): \(k.note)"))
                }
            }
            if n.severity != o.severity {
                alerts.append(
                    AlertChange(id: n.id, asset: n.asset, rule: n.rule, change: "escalated", from: o.severity.rawValue, to: n.severity.rawValue))
            }
        }
        var classes: [ClassChange] = []
        func name(_ c: Int?) -> String { c.map { "class \($0)" } ?? "none" }
        for (id, n) in b.model.bridges.bridges.sorted(by: { $0.key < $1.key }) {
            let o = a.model.bridges.bridges[id]?.attention?.overall
            if o != n.attention?.overall { classes.append(ClassChange(bridge: "bridge-\(id)", from: name(o), to: name(n.attention?.overall))) }
        }
        var queues: [QueueChange] = []
        func compare(_ queue: String, _ x: [(String, Int)], _ y: [(String, Int)]) {
            let xs = Dictionary(x, uniquingKeysWith: { p, _ in p })
            let ys = Dictionary(y, uniquingKeysWith: { p, _ in p })
            for (asset, rank) in y {
                if let r = xs[asset] {
                    if r != rank { queues.append(QueueChange(queue: queue, asset: asset, change: "moved", fromRank: r, toRank: rank)) }
                } else {
                    queues.append(QueueChange(queue: queue, asset: asset, change: "joined", fromRank: nil, toRank: rank))
                }
            }
            for (asset, rank) in x where ys[asset] == nil {
                queues.append(QueueChange(queue: queue, asset: asset, change: "left", fromRank: rank, toRank: nil))
            }
        }
        compare(
            "safety", a.model.safetyQueue(today: a.today).map { ("bridge-\($0.bridgeId)", $0.rank) },
            b.model.safetyQueue(today: b.today).map { ("bridge-\($0.bridgeId)", $0.rank) })
        compare(
            "inspection", a.model.inspectionQueue(today: a.today).map { ("wastesite-\($0.siteId)", $0.rank) },
            b.model.inspectionQueue(today: b.today).map { ("wastesite-\($0.siteId)", $0.rank) })
        return AuditDiff(
            clock: clock.rawValue, from: AuditTime.text(micros: AuditTime.micros(a.today)), to: AuditTime.text(micros: AuditTime.micros(b.today)),
            fromPosition: a.position, toPosition: b.position, ruleFiles: b.ruleFiles, alerts: alerts, classes: classes, queues: queues)
    }
}
