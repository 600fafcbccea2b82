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
    public var ruleSet: String
    public var site: WasteSiteProjection.Site?
    public var meter: MeterProjection.Meter?
    public var bridge: BridgeProjection.Bridge?
    public var building: MeterProjection.Building?
    public var nextStep: String?
    public var due: String?
    public var attentionClass: String?
    /// Why the asset is in this state: the derivation lines of its class or state.
    public var why: [String]
    public var alerts: [AlertRecord]

    public enum LookupError: Error, CustomStringConvertible, Sendable {
        case malformed(String)
        case notFound(String)
        public var description: String {
            switch self {
            case .malformed(let s): "asset ids look like \(AssetID.examples) (got '\(s)')"
            case .notFound(let s): "no asset \(s) in the projection"
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
            v.why = site.openItems.keys.sorted().map { "open non-compliance: \($0)" } + (site.followUpDue.map { ["follow-up due \($0)"] } ?? [])
        case .meter:
            guard let meter = model.meters.meters[a.key] else { throw .notFound(id) }
            v.ruleSet = model.meterProjection.ruleSet.label
            v.meter = meter
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
            v.why = (bridge.attention?.trace ?? []) + (bridge.attention?.notClassifiable.map { "not classifiable: \($0)" } ?? [])
        }
        return v
    }

    /// The view of `id` replayed from the start of the log up to a position or a recorded time.
    public static func asOf(
        _ id: String, store: any EventStore, rulesDirectory: String, position: UInt64?, time: Int64?, timeText: String?
    ) async throws -> AssetView {
        let set = try ProjectionSet(store: store, rulesDirectory: rulesDirectory, snapshots: NoSnapshots())
        guard AssetID(id) != nil else { throw LookupError.malformed(id) }
        for w in set.workers {
            try await w.catchUp(until: position, untilTime: time, saveSnapshots: false)
        }
        return try make(id, in: set.readModel(), asOfPosition: position, asOfTime: timeText)
    }
}
