import Foundation
import Projections

/// Everything the dashboard shows, as a value: keys and API answers go in through `update`,
/// effects (requests, quitting) come out, and the views are drawn from it alone.
public struct MapCursor: Equatable, Sendable {
    public var x = 0
    public var y = 0
}

public struct DashState: Equatable, Sendable {
    public enum View: String, CaseIterable, Sendable {
        case alerts
        case queueSafety = "queue-safety"
        case queueInspection = "queue-inspection"
        case map
        case asset

        /// The views Tab cycles through (the asset detail is opened, not tabbed to).
        static let tabs: [View] = [.alerts, .queueSafety, .queueInspection, .map]
        var title: String {
            switch self {
            case .alerts: "Alerts"
            case .queueSafety: "Safety queue"
            case .queueInspection: "Inspection queue"
            case .map: "Map"
            case .asset: "Asset"
            }
        }
    }

    public enum Mode: Equatable, Sendable {
        case normal
        case search
        case municipality
        /// Typing the note of an alert action (`acknowledge`, `resolve`, `reopen`).
        case note(action: String, alertId: String)
        case help
    }

    public enum Sort: String, CaseIterable, Sendable { case severity, age, asset }

    public struct Filter: Equatable, Sendable {
        public var domain: String?
        public var severity: String?
        /// firing, acknowledged, resolved; nil: all.
        public var state: String? = "firing"
        public var municipality: String?
    }

    public var view: View = .alerts
    var back: [View] = []
    public var width = 80
    public var height = 24
    public var mode: Mode = .normal
    public var input = ""
    public var search = ""
    public var filter = Filter()
    public var sort: Sort = .severity

    public var alerts: [AlertRow] = []
    public var safety: [SafetyRow] = []
    public var inspection: [InspectionRow] = []
    public var points: [MapPoint] = []
    public var assetId: String?
    public var asset: AssetDetail?

    /// Selected row per list view, and the first row shown.
    public var selected: [View: Int] = [:]
    var top: [View: Int] = [:]
    /// The map cursor, in cells from the map's centre.
    public var mapCursor = MapCursor()
    public var assetScroll = 0

    public var connected = true
    public var status = "connecting…"
    public var message: String?

    public init(width: Int = 80, height: Int = 24) {
        self.width = width
        self.height = height
    }

    /// Municipality of an asset, from the map layers (a meter's is its building's).
    public func municipality(of asset: String) -> String? {
        if let p = pointsById[asset] { return p.municipality }
        if asset.hasPrefix("meter-") {
            let meter = asset.dropFirst(6)
            let building = meter.split(separator: "-").dropLast().joined(separator: "-")
            return pointsById["building-" + building]?.municipality
        }
        return nil
    }

    /// What the lists show, kept up to date by `refilter` (drawing and moving read them often;
    /// a city has thousands of alerts).
    public private(set) var visibleAlerts: [AlertRow] = []
    public private(set) var visibleSafety: [SafetyRow] = []
    public private(set) var visibleInspection: [InspectionRow] = []
    private(set) var pointsById: [String: MapPoint] = [:]

    /// Recomputes the lists after their data, filters, search or sort changed.
    mutating func refilter() {
        visibleAlerts = filteredAlerts()
        visibleSafety = filteredSafety()
        visibleInspection = filteredInspection()
    }

    mutating func setPoints(_ p: [MapPoint]) {
        points = p
        pointsById = Dictionary(p.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The alerts the list shows: filtered, searched, sorted.
    func filteredAlerts() -> [AlertRow] {
        let needle = search.lowercased()
        let byId = pointsById
        func town(_ a: AlertRow) -> String? {
            if let p = byId[a.asset] { return p.municipality }
            return municipality(of: a.asset)
        }
        let rows = alerts.filter { a in
            (filter.domain == nil || a.domain == filter.domain) && (filter.severity == nil || a.severity == filter.severity)
                && (filter.state == nil || a.shownState == filter.state || (filter.state == "firing" && a.state == "firing"))
                && (filter.municipality == nil || town(a)?.lowercased().hasPrefix(filter.municipality!.lowercased()) == true)
                && (needle.isEmpty || a.asset.lowercased().contains(needle) || a.rule.lowercased().contains(needle)
                    || a.evidence.lowercased().contains(needle) || (town(a)?.lowercased().contains(needle) ?? false))
        }
        switch sort {
        case .severity:
            return rows.sorted {
                ($0.severityRank, $1.raisedOn, $0.id) < ($1.severityRank, $0.raisedOn, $1.id)
            }
        case .age: return rows.sorted { ($0.raisedOn, $0.id) < ($1.raisedOn, $1.id) }
        case .asset: return rows.sorted { ($0.asset, $0.id) < ($1.asset, $1.id) }
        }
    }

    func filteredSafety() -> [SafetyRow] {
        let needle = search.lowercased()
        return safety.filter { r in
            (filter.municipality == nil || r.municipality.lowercased().hasPrefix(filter.municipality!.lowercased()))
                && (needle.isEmpty || r.bridgeId.lowercased().contains(needle) || r.name.lowercased().contains(needle)
                    || r.municipality.lowercased().contains(needle))
        }
    }

    func filteredInspection() -> [InspectionRow] {
        let needle = search.lowercased()
        return inspection.filter { r in
            (filter.municipality == nil || r.municipality.lowercased().hasPrefix(filter.municipality!.lowercased()))
                && (needle.isEmpty || r.siteId.lowercased().contains(needle) || r.municipality.lowercased().contains(needle))
        }
    }

    /// Rows of the current list view.
    var rowCount: Int {
        switch view {
        case .alerts: visibleAlerts.count
        case .queueSafety: visibleSafety.count
        case .queueInspection: visibleInspection.count
        case .map, .asset: 0
        }
    }

    /// Rows a list view has room for (header, tabs, filter line, column titles, status line).
    var listHeight: Int { max(1, height - 5) }

    /// The selected alert in the alerts view, or the first firing alert of the asset detail.
    public var selectedAlert: AlertRow? {
        switch view {
        case .alerts:
            let rows = visibleAlerts
            let i = selected[.alerts] ?? 0
            return rows.indices.contains(i) ? rows[i] : nil
        case .asset:
            return asset?.alerts.first { $0.state == "firing" } ?? asset?.alerts.first
        default: return nil
        }
    }
}
