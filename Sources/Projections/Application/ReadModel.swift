import Domain
import EventLog
import Foundation

/// The projections' states at one log position, as a value: readers (API requests, CLI views)
/// share it without locks while the follow service builds the next one.
public struct ReadModel: Sendable {
    public var position: UInt64
    public var bridges: BridgeProjection.State
    public var meters: MeterProjection.State
    public var wasteSites: WasteSiteProjection.State
    public var bridgeProjection: BridgeProjection
    public var meterProjection: MeterProjection
    public var wasteSiteProjection: WasteSiteProjection

    public var ruleSets: [RuleSetInfo] { [bridgeProjection.ruleSet, meterProjection.ruleSet, wasteSiteProjection.ruleSet] }

    /// Every alert of every projection, unordered (filter first, then sort what is left).
    public var allAlerts: some Sequence<AlertRecord> {
        [bridges.alerts.values, meters.alerts.values, wasteSites.alerts.values].joined()
    }

    /// Every alert of every projection, firing first, then by severity, newest first.
    public var alerts: [AlertRecord] {
        (Array(bridges.alerts.values) + Array(meters.alerts.values) + Array(wasteSites.alerts.values)).sorted(by: AlertRecord.dashboardOrder)
    }

    /// Events each projection could not apply (the poison-event policy), by projection name.
    public var parked: [String: ParkedEvents] {
        [bridgeProjection.name: bridges.parked, meterProjection.name: meters.parked, wasteSiteProjection.name: wasteSites.parked]
    }

    public func alert(id: String) -> AlertRecord? { bridges.alerts[id] ?? meters.alerts[id] ?? wasteSites.alerts[id] }

    public func alerts(of asset: String) -> [AlertRecord] {
        let state: [String: AlertRecord]
        switch AssetID(asset)?.domain {
        case .bridge: state = bridges.alerts
        case .meter: state = meters.alerts
        case .wastesite: state = wasteSites.alerts
        default: return []
        }
        return state.values.filter { $0.asset == asset }.sorted { $0.raisedPosition < $1.raisedPosition }
    }

    public func safetyQueue(today: Date) -> [SafetyQueueEntry] { bridgeProjection.safetyQueue(bridges, today: today) }
    public func inspectionQueue(today: Date) -> [InspectionQueueEntry] { wasteSiteProjection.inspectionQueue(wasteSites, today: today) }
    public func overdueInspections(today: Date) -> [OverdueInspection] { bridgeProjection.overdueInspections(bridges, today: today) }
}

extension AlertRecord {
    /// Firing before resolved, then the most severe, then the newest.
    public static func dashboardOrder(_ a: AlertRecord, _ b: AlertRecord) -> Bool {
        if a.state != b.state { return a.state == .firing }
        if a.severity != b.severity { return a.severity > b.severity }
        if a.raisedPosition != b.raisedPosition { return a.raisedPosition > b.raisedPosition }
        return a.id < b.id
    }
}

/// An asset id as users type it: `bridge-MI0001`, `meter-SC0001-W1`, `wastesite-WS0001`,
/// `building-SC0001`. The one place that maps ids to projections.
public struct AssetID: Sendable, Hashable, CustomStringConvertible {
    public enum Domain: String, Sendable, CaseIterable, Codable { case bridge, meter, wastesite, building }
    public var domain: Domain
    public var key: String
    public var description: String { "\(domain.rawValue)-\(key)" }

    public init?(_ s: String) {
        guard let dash = s.firstIndex(of: "-"), let d = Domain(rawValue: String(s[..<dash])) else { return nil }
        let key = String(s[s.index(after: dash)...])
        guard !key.isEmpty else { return nil }
        domain = d
        self.key = key
    }

    public static let examples = "bridge-MI0001, meter-SC0001-W1, wastesite-WS0001 or building-SC0001"
}
