import EventLog
import Foundation

/// What happened in the log between two recorded instants: who submitted what, how alerts
/// were raised and handled and how fast, rule-set changes, repairs, checkpoint coverage, and
/// whether the whole log verifies. One pass over the log.
public struct AuditReport: Encodable, Sendable {
    public struct Submissions: Encodable, Sendable {
        public var actor: String
        public var type: String
        public var count: Int
    }
    public struct AlertFigures: Encodable, Sendable {
        public var raised = 0
        public var raisedBySeverity: [String: Int] = [:]
        public var acknowledged = 0
        public var resolvedByProjection = 0
        public var resolvedByPerson = 0
        public var escalated = 0
        public var reopened = 0
        /// Hours from the raise to the first acknowledgement / to the resolution, for alerts handled in the period.
        public var hoursToAcknowledgeMedian: Double?
        public var hoursToResolveMedian: Double?
    }
    public struct RuleSetSeen: Encodable, Sendable {
        public var ruleSet: String
        public var firstPosition: UInt64
        public var firstRecordedAt: String
    }
    public struct CheckpointFigures: Encodable, Sendable {
        public var inPeriod = 0
        /// The newest checkpoint recorded by the end of the period, and how much of the log it covers.
        public var lastCheckpointPosition: UInt64?
        public var lastPositionInPeriod: UInt64 = 0
        public var uncoveredPositions: UInt64 = 0
    }

    public var from: String
    public var to: String
    public var eventsInPeriod = 0
    public var submissions: [Submissions] = []
    public var alerts = AlertFigures()
    public var ruleSetsFirstSeenInPeriod: [RuleSetSeen] = []
    public var ruleFiles: [RuleFileRef] = []
    public var repairs: [LogRepair] = []
    public var redactions: [LogRedaction] = []
    public var checkpoints = CheckpointFigures()
    public var verification: VerifyReport?

    public static func make(store: any EventStore, from: Int64, to: Int64, ruleFiles: [RuleFileRef]) async throws -> AuditReport {
        var r = AuditReport(from: AuditTime.text(micros: from), to: AuditTime.text(micros: to))
        r.ruleFiles = ruleFiles
        var counts: [String: [String: Int]] = [:]
        var raisedAt: [String: Int64] = [:]
        var firstAck: Set<String> = []
        var toAck: [Double] = []
        var toResolve: [Double] = []
        var seenRuleSets: Set<String> = []
        var position: UInt64 = 1
        scan: while true {
            let page = try await store.read(from: position, limit: 4096)
            for e in page {
                if e.recordedAt >= to { break scan }
                let inPeriod = e.recordedAt >= from
                if inPeriod {
                    r.eventsInPeriod += 1
                    r.checkpoints.lastPositionInPeriod = e.position
                }
                switch e.type {
                case "AlertRaised":
                    let id = e.payloadString("alertId") ?? e.stream
                    raisedAt[id] = e.recordedAt
                    if let rs = e.payloadString("ruleSet"), seenRuleSets.insert(rs).inserted, inPeriod {
                        r.ruleSetsFirstSeenInPeriod.append(
                            RuleSetSeen(ruleSet: rs, firstPosition: e.position, firstRecordedAt: AuditTime.text(micros: e.recordedAt)))
                    }
                    if inPeriod {
                        r.alerts.raised += 1
                        r.alerts.raisedBySeverity[e.payloadString("severity") ?? "?", default: 0] += 1
                    }
                case "AlertAcknowledged" where inPeriod:
                    let id = e.payloadString("alertId") ?? e.stream
                    r.alerts.acknowledged += 1
                    if let t = raisedAt[id], firstAck.insert(id).inserted { toAck.append(Double(e.recordedAt - t) / 3.6e9) }
                case "AlertResolved" where inPeriod:
                    let id = e.payloadString("alertId") ?? e.stream
                    if e.actor.hasPrefix("projection:") { r.alerts.resolvedByProjection += 1 } else { r.alerts.resolvedByPerson += 1 }
                    if let t = raisedAt[id] { toResolve.append(Double(e.recordedAt - t) / 3.6e9) }
                case "AlertEscalated" where inPeriod: r.alerts.escalated += 1
                case "AlertReopened" where inPeriod: r.alerts.reopened += 1
                case LogRepair.eventType where inPeriod:
                    if let repair = try? JSONDecoder().decode(LogRepair.self, from: e.payload) { r.repairs.append(repair) }
                case LogRedaction.eventType where inPeriod:
                    if let redaction = try? JSONDecoder().decode(LogRedaction.self, from: e.payload) { r.redactions.append(redaction) }
                case Checkpoint.eventType:
                    if let c = try? JSONDecoder().decode(Checkpoint.self, from: e.payload) {
                        r.checkpoints.lastCheckpointPosition = max(r.checkpoints.lastCheckpointPosition ?? 0, c.position)
                    }
                    if inPeriod { r.checkpoints.inPeriod += 1 }
                default:
                    if inPeriod && e.category != "alert" && e.category != LogRecords.category && !e.actor.hasPrefix("projection:") {
                        counts[e.actor, default: [:]][e.type, default: 0] += 1
                    }
                }
            }
            guard let last = page.last, page.count == 4096 else { break }
            position = last.position + 1
        }
        r.submissions = counts.flatMap { actor, types in types.map { Submissions(actor: actor, type: $0.key, count: $0.value) } }
            .sorted { ($0.actor, $0.type) < ($1.actor, $1.type) }
        r.alerts.hoursToAcknowledgeMedian = median(toAck)
        r.alerts.hoursToResolveMedian = median(toResolve)
        let covered = r.checkpoints.lastCheckpointPosition ?? 0
        r.checkpoints.uncoveredPositions = r.checkpoints.lastPositionInPeriod > covered ? r.checkpoints.lastPositionInPeriod - covered : 0
        r.verification = try await store.verify()
        return r
    }

    /// The period `from`–`to` (recorded time, `to` default now) as auditors type it.
    public static func period(from: String, to: String?, now: Date = Date()) -> Result<(from: Int64, to: Int64), AuditInputError> {
        func time(_ field: String, _ s: String) -> Result<Int64, AuditInputError> {
            ReplayLimit.parseTime(s).map { .success($0) }
                ?? .failure(AuditInputError(field: field, reason: "must be an RFC 3339 time or a YYYY-MM-DD date (got '\(s.prefix(40))')"))
        }
        return time("from", from).flatMap { start in
            (to.map { time("to", $0) } ?? .success(AuditTime.micros(now))).flatMap { end in
                end > start ? .success((start, end)) : .failure(AuditInputError(field: "to", reason: "must be after from", range: true))
            }
        }
    }

    static func median(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        let m = s.count / 2
        let x = s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
        return (x * 100).rounded() / 100
    }
}
