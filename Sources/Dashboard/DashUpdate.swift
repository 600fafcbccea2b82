import Foundation
import Projections

/// What the dashboard asks of the world after an update.
public enum Effect: Equatable, Sendable {
    case loadAlerts, loadSafety, loadInspection, loadMap
    case loadAsset(String)
    /// An alert action with its note: POST /v1/alerts/{id}/{action}.
    case act(action: String, alertId: String, note: String)
    case quit
}

/// What reaches the dashboard: keys, a new terminal size, answers from the API, the feed.
public enum Msg: Sendable {
    case key(Key)
    case resized(width: Int, height: Int)
    case alerts([AlertRow])
    case safety([SafetyRow])
    case inspection([InspectionRow])
    case points([MapPoint])
    case asset(AssetDetail)
    /// An alert event arrived on the feed (the alerts are reloaded).
    case alertEvent
    case acted(String)
    case failed(String)
    case connection(up: Bool, String)
    /// Time to draw (the loop draws once per burst of messages, not once per message).
    case tick
}

extension DashState {
    /// The start: everything is loaded once, then kept live by the feed.
    public static let initialEffects: [Effect] = [.loadMap, .loadAlerts, .loadSafety, .loadInspection]

    public static let domains = ["bridge", "wastesite", "meter"]
    public static let severities = ["critical", "warning", "info"]
    public static let states = ["firing", "acknowledged", "resolved"]

    /// Applies one message; returns the effects to run.
    public mutating func update(_ msg: Msg) -> [Effect] {
        let before = (filter, search, sort)
        defer {
            if before != (filter, search, sort) {
                refilter()
                clampSelection()
            }
        }
        switch msg {
        case .resized(let w, let h):
            width = max(20, w)
            height = max(6, h)
            keepSelectionVisible()
            return []
        case .alerts(let rows):
            let keep = selectedAlert?.id
            alerts = rows
            refilter()
            // The selection stays on the same alert when new ones arrive above it.
            if let keep, let i = visibleAlerts.firstIndex(where: { $0.id == keep }) { selected[.alerts] = i }
            clampSelection()
            return []
        case .safety(let rows):
            safety = rows
            refilter()
            clampSelection()
            return []
        case .inspection(let rows):
            inspection = rows
            refilter()
            clampSelection()
            return []
        case .points(let p):
            setPoints(p)
            refilter()
            return []
        case .asset(let a):
            if a.id == assetId { asset = a }
            return []
        case .alertEvent:
            return [.loadAlerts] + (assetId.map { [.loadAsset($0)] } ?? [])
        case .acted(let text):
            message = text
            return [.loadAlerts] + (assetId.map { [.loadAsset($0)] } ?? [])
        case .failed(let text):
            message = text
            return []
        case .connection(let up, let text):
            connected = up
            status = text
            return []
        case .key(let key):
            return handle(key)
        case .tick:
            return []
        }
    }

    private mutating func handle(_ key: Key) -> [Effect] {
        if key == .ctrlC { return [.quit] }
        switch mode {
        case .help:
            mode = .normal
            return []
        case .search, .municipality, .note:
            return typing(key)
        case .normal:
            break
        }
        message = nil
        switch key {
        case .char("q"):
            return goBack() ? [] : [.quit]
        case .escape:
            if view != .asset, !search.isEmpty {
                search = ""
                clampSelection()
                return []
            }
            _ = goBack()
            return []
        case .char("?"):
            mode = .help
        case .tab, .backTab:
            let tabs = View.tabs
            let i = tabs.firstIndex(of: view == .asset ? (back.last ?? .alerts) : view) ?? 0
            view = tabs[(i + (key == .tab ? 1 : tabs.count - 1)) % tabs.count]
            back = []
        case .char("1"), .char("2"), .char("3"), .char("4"):
            if case .char(let c) = key, let n = c.wholeNumberValue {
                view = View.tabs[n - 1]
                back = []
            }
        case .up, .char("k"): move(-1)
        case .down, .char("j"): move(1)
        case .pageUp: move(-pageStep)
        case .pageDown: move(pageStep)
        case .home, .char("g"): move(-1_000_000)
        case .end, .char("G"): move(1_000_000)
        case .left, .char("h"): if view == .map { mapCursor.x -= 1 }
        case .right, .char("l"): if view == .map { mapCursor.x += 1 }
        case .char("/"):
            mode = .search
            input = search
        case .char("m"):
            mode = .municipality
            input = filter.municipality ?? ""
        case .char("d"): filter.domain = Self.cycle(filter.domain, Self.domains); clampSelection()
        case .char("s"): filter.severity = Self.cycle(filter.severity, Self.severities); clampSelection()
        case .char("f"): filter.state = Self.cycle(filter.state, Self.states); clampSelection()
        case .char("o"):
            sort = Sort.allCases[(Sort.allCases.firstIndex(of: sort)! + 1) % Sort.allCases.count]
            clampSelection()
        case .char("r"):
            return view == .asset ? assetId.map { [.loadAsset($0)] } ?? [] : Self.initialEffects
        case .char("a"): return startAction("acknowledge")
        case .char("x"): return startAction("resolve")
        case .char("u"): return startAction("reopen")
        case .enter: return open()
        default: break
        }
        return []
    }

    private var pageStep: Int { view == .map ? 4 : max(1, listHeight - 1) }

    static func cycle(_ value: String?, _ all: [String]) -> String? {
        guard let value, let i = all.firstIndex(of: value) else { return all.first }
        return i + 1 < all.count ? all[i + 1] : nil
    }

    private mutating func typing(_ key: Key) -> [Effect] {
        switch key {
        case .escape:
            if mode == .search { search = "" }
            mode = .normal
            input = ""
            clampSelection()
        case .enter:
            let text = input.trimmingCharacters(in: .whitespaces)
            defer {
                mode = .normal
                input = ""
            }
            switch mode {
            case .search: search = text
            case .municipality: filter.municipality = text.isEmpty ? nil : text
            case .note(let action, let id):
                guard !text.isEmpty else {
                    message = "a note is required: nothing sent"
                    return []
                }
                message = "\(action) \(id)…"
                return [.act(action: action, alertId: id, note: text)]
            default: break
            }
            clampSelection()
        case .backspace:
            if !input.isEmpty { input.removeLast() }
            if mode == .search {
                search = input
                clampSelection()
            }
        case .char(let c):
            if input.count < 500 { input.append(c) }
            // The search is incremental: the list narrows with every key.
            if mode == .search {
                search = input
                clampSelection()
            }
        default: break
        }
        return []
    }

    private mutating func startAction(_ action: String) -> [Effect] {
        guard view == .alerts || view == .asset, let alert = selectedAlert else {
            message = "select an alert first (Alerts view, or an asset with alerts)"
            return []
        }
        let allowed =
            switch action {
            case "acknowledge": alert.state == "firing"
            case "resolve": alert.state == "firing"
            default: alert.state == "resolved"
            }
        guard allowed else {
            message = "\(alert.id) is \(alert.shownState): cannot \(action)"
            return []
        }
        mode = .note(action: action, alertId: alert.id)
        input = ""
        return []
    }

    private mutating func open() -> [Effect] {
        let id: String?
        switch view {
        case .alerts: id = selectedAlert?.asset
        case .queueSafety:
            let rows = visibleSafety
            let i = selected[.queueSafety] ?? 0
            id = rows.indices.contains(i) ? "bridge-" + rows[i].bridgeId : nil
        case .queueInspection:
            let rows = visibleInspection
            let i = selected[.queueInspection] ?? 0
            id = rows.indices.contains(i) ? "wastesite-" + rows[i].siteId : nil
        case .map: id = MapView.nearest(in: self)?.id
        case .asset: id = nil
        }
        guard let id else { return [] }
        back.append(view)
        view = .asset
        assetId = id
        asset = nil
        assetScroll = 0
        return [.loadAsset(id)]
    }

    /// Back to the view the asset was opened from; false at a top-level view.
    private mutating func goBack() -> Bool {
        guard let previous = back.popLast() else { return false }
        view = previous
        if view != .asset {
            assetId = nil
            asset = nil
        }
        return true
    }

    private mutating func move(_ delta: Int) {
        switch view {
        case .map:
            mapCursor.y += delta.signum() * min(abs(delta), 1_000)
        case .asset:
            assetScroll = max(0, assetScroll + delta)
        default:
            selected[view] = (selected[view] ?? 0) + delta
            clampSelection()
        }
    }

    mutating func clampSelection() {
        for v in [View.alerts, .queueSafety, .queueInspection] {
            let n: Int =
                switch v {
                case .alerts: visibleAlerts.count
                case .queueSafety: visibleSafety.count
                default: visibleInspection.count
                }
            selected[v] = max(0, min(n - 1, selected[v] ?? 0))
        }
        keepSelectionVisible()
    }

    mutating func keepSelectionVisible() {
        for v in [View.alerts, .queueSafety, .queueInspection] {
            let s = selected[v] ?? 0
            var t = top[v] ?? 0
            if s < t { t = s }
            if s >= t + listHeight { t = s - listHeight + 1 }
            top[v] = max(0, t)
        }
    }
}
