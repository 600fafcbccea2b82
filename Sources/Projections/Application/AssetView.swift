import Domain
import EventLog
import Foundation

/// One asset's projected state, its derivation ("why") and its alerts: what `presidio asset`
/// prints and `GET /v1/assets/{id}` returns.
public struct AssetView: Codable, Sendable {
    public var asset: String
    public var domain: String
    /// The log position the view was computed at.
    public var position: UInt64
    /// Set when replayed to a past position or time (auditors).
    public var asOfPosition: UInt64?
    public var asOfTime: String?
    /// The clock `asOfTime` is read on: `recorded` (what Presidio knew then) or `observed`
    /// (what had been observed by then, whenever recorded). Nil for the live view.
    public var clock: String?
    public var ruleSet: String
    public var site: WasteSiteProjection.Site?
    public var meter: MeterProjection.Meter?
    public var bridge: BridgeProjection.Bridge?
    public var building: MeterProjection.Building?
    public var nextStep: String?
    public var due: String?
    public var attentionClass: String?
    /// Bridges: the class waits for what `missing` names and may still get worse.
    public var provisional: Bool?
    public var missing: [String]?
    /// Meters: the unit of every value shown (kWh, Sm3, m3).
    public var unit: String?
    /// Why the asset is in this state: the derivation lines of its class or state.
    public var why: [String]
    public var alerts: [AlertRecord]

    public enum LookupError: Error, CustomStringConvertible, Sendable {
        case malformed(String)
        case notFound(String)
        /// Asked on the recorded clock before the log's first record: what that instant is.
        case beforeFirstRecord(String, asked: String, first: String)
        case notObservedBy(String, String)
        /// A position past the log's head: a mistyped number, never "now".
        case beyondHead(UInt64, head: UInt64)
        public var description: String {
            switch self {
            case .malformed(let s): "asset ids look like \(AssetID.examples) (got '\(s)')"
            case .notFound(let s): "no asset \(s) in the projection"
            case .beforeFirstRecord(let s, let asked, let first):
                "nothing was recorded by \(asked) (recorded clock: what Presidio knew then), so no \(s) yet: the log's first record is from \(first). For what had been observed by then, whenever recorded, ask the observed clock"
            case .notObservedBy(let s, let t): "no asset \(s) observed by \(t) (observed clock)"
            case .beyondHead(let p, let head): "--as-of: must be a log position from 1 to the head \(head) (got \(p))"
            }
        }
    }

    /// The view of `id` in `model`.
    public static func make(_ id: String, in model: ReadModel, asOfPosition: UInt64? = nil, asOfTime: String? = nil) throws(LookupError) -> AssetView
    {
        guard let a = AssetID(id) else { throw .malformed(id) }
        var v = AssetView(
            asset: id, domain: a.domain.rawValue, position: model.position, asOfPosition: asOfPosition, asOfTime: asOfTime, ruleSet: "",
            why: [], alerts: model.alerts(of: id))
        switch a.domain {
        case .wastesite:
            guard let site = model.wasteSites.sites[a.key] else { throw .notFound(id) }
            v.ruleSet = model.wasteSiteProjection.ruleSet.label
            v.site = site
            v.why =
                site.gradeReasons + site.openItems.keys.sorted().map { "open non-compliance: \($0)" }
                + (site.followUpDue.map { ["follow-up due \($0)"] } ?? [])
                + (site.cpiAlert == nil
                    ? [] : ["fire certificate (CPI) \(site.cpiStatus.rawValue)\(site.cpiRequired ? " and required (DPR 151/2011 activity 70)" : "")"])
                + ["DM 26/7/2022 adaptation: \(site.fireRuleAdaptation?.rawValue ?? "unknown")"]
        case .meter:
            guard let meter = model.meters.meters[a.key] else { throw .notFound(id) }
            v.ruleSet = model.meterProjection.ruleSet.label
            v.meter = meter
            v.unit = meter.kind.unit
            v.why = MeterProjection.explain(meter)
        case .building:
            guard let b = model.meters.buildings[a.key] else { throw .notFound(id) }
            v.ruleSet = model.meterProjection.ruleSet.label
            v.building = b
            v.alerts = model.meters.meters.values.filter { $0.buildingId == a.key }.flatMap { model.alerts(of: "meter-\($0.meterId)") }
        case .bridge:
            guard let bridge = model.bridges.bridges[a.key] else { throw .notFound(id) }
            let p = model.bridgeProjection
            let (step, due) = p.nextStep(bridge)
            v.ruleSet = p.ruleSet.label
            v.bridge = bridge
            v.nextStep = step
            v.due = due
            v.attentionClass = bridge.attention?.overall.flatMap { p.rules.classes.indices.contains($0 - 1) ? p.rules.classes[$0 - 1] : nil }
            v.provisional = bridge.attention?.provisional
            v.missing = bridge.attention?.missing
            v.why =
                (bridge.attention?.trace ?? []) + (bridge.attention?.notClassifiable.map { "not classifiable: \($0)" } ?? [])
                + bridge.needs.map { "needs \($0.step): \($0.reason)\($0.due.map { d in ", due \(d)" } ?? "")" }
        }
        return v
    }

    /// The view of `id` replayed from the start of the log up to a position, or a time on one
    /// of the two clocks (`ReplayLimit`).
    public static func asOf(
        _ id: String, store: any EventStore, rulesDirectory: String, position: UInt64?, time: Int64?, timeText: String?,
        clock: ReplayLimit.Clock = .recorded
    ) async throws -> AssetView {
        guard AssetID(id) != nil else { throw LookupError.malformed(id) }
        if let position {
            let head = try await store.headPosition()
            guard position <= head else { throw LookupError.beyondHead(position, head: head) }
        }
        let limit = ReplayLimit(position: position, time: time, clock: clock)
        let r = try await AuditReplay.replay(store: store, rulesDirectory: rulesDirectory, limit: limit)
        let found: Result<AssetView, LookupError> = Result { () throws(LookupError) in
            try make(id, in: r.model, asOfPosition: position, asOfTime: timeText)
        }
        switch found {
        case .success(var v):
            v.clock = time == nil ? nil : clock.rawValue
            return v
        case .failure(let e):
            guard case .notFound = e else { throw e }
            if let time, clock == .recorded, let first = try await store.read(from: 1, limit: 1).first, first.recordedAt > time {
                throw LookupError.beforeFirstRecord(
                    id, asked: timeText ?? AuditTime.text(micros: time), first: AuditTime.text(micros: first.recordedAt))
            }
            if let time, clock == .observed { throw LookupError.notObservedBy(id, timeText ?? AuditTime.text(micros: time)) }
            throw LookupError.notFound(id)
        }
    }
}
