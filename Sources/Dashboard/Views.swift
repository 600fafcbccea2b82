import Foundation
import Projections

/// Draws a `DashState` into a screen buffer: header, tabs, the current view, the status line,
/// and the help overlay or a prompt when one is open. Pure: the same state, the same screen.
public enum DashRender {
    public static func render(_ s: DashState) -> ScreenBuffer {
        var b = ScreenBuffer(width: s.width, height: s.height)
        header(s, &b)
        switch s.view {
        case .alerts: alerts(s, &b)
        case .queueSafety: safety(s, &b)
        case .queueInspection: inspection(s, &b)
        case .map: MapView.draw(s, &b, top: 3)
        case .asset: AssetView.draw(s, &b, top: 2)
        }
        footer(s, &b)
        if s.mode == .help { help(s, &b) }
        return b
    }

    static func severityStyle(_ severity: String, state: String) -> Style {
        if state == "resolved" { return .muted }
        switch severity {
        case "critical": return Style(fg: .red, bold: true)
        case "warning": return Style(fg: .yellow)
        default: return Style(fg: .cyan)
        }
    }

    static func classStyle(_ label: String) -> Style {
        switch label.lowercased() {
        case "alta", "alert", "alto": Style(fg: .red, bold: true)
        case "medio-alta", "medioalto", "medio-alto": Style(fg: .magenta)
        case "media", "medio", "acknowledged": Style(fg: .yellow)
        case "medio-bassa", "mediobasso", "medio-basso": Style(fg: .green)
        case "bassa", "basso", "normal": Style(fg: .cyan)
        default: Style(fg: .white)
        }
    }

    static func header(_ s: DashState, _ b: inout ScreenBuffer) {
        var byState: [String: Int] = [:]
        var firingByDomain: [String: Int] = [:]
        for a in s.alerts {
            byState[a.shownState, default: 0] += 1
            if a.state == "firing" { firingByDomain[a.domain, default: 0] += 1 }
        }
        b.fill(y: 0, style: .header)
        let narrow = s.width < 100
        let counts =
            narrow
            ? "\(byState["firing", default: 0]) firing · \(byState["acknowledged", default: 0]) ack · \(byState["resolved", default: 0]) res"
            : "firing \(byState["firing", default: 0]) · ack \(byState["acknowledged", default: 0]) · resolved \(byState["resolved", default: 0])"
        let short = ["bridge": "br", "wastesite": "ws", "meter": "mt"]
        let domains = DashState.domains.map { "\(narrow ? short[$0]! : $0) \(firingByDomain[$0, default: 0])" }.joined(separator: " · ")
        var x = b.put(" Presidio ", x: 0, y: 0, style: .header)
        x += b.put("│ " + counts + " │ " + domains, x: x, y: 0, style: .header)
        let link = s.connected ? "● live" : "○ " + s.status
        b.put(link, x: max(0, s.width - link.count - 1), y: 0, style: Style(fg: s.connected ? .black : .red, bg: .cyan, bold: true))
        // Tabs.
        var tx = 0
        for (i, v) in DashState.View.tabs.enumerated() {
            let active = v == s.view || (s.view == .asset && s.back.last == v)
            tx += b.put(" \(i + 1) \(v.title) ", x: tx, y: 1, style: active ? Style(fg: .black, bg: .white, bold: true) : .muted)
            tx += 1
        }
    }

    static func filterLine(_ s: DashState, _ b: inout ScreenBuffer, y: Int, fields: Bool, count: String) {
        let narrow = s.width < 100
        var parts: [String] = []
        if fields {
            parts.append("\(narrow ? "dom" : "domain") \(s.filter.domain ?? "all")")
            parts.append("\(narrow ? "sev" : "severity") \(s.filter.severity ?? "all")")
            parts.append("state \(s.filter.state ?? "all")")
        }
        parts.append("\(narrow ? "town" : "municipality") \(s.filter.municipality ?? "all")")
        if fields { parts.append("sort \(s.sort.rawValue)") }
        if !s.search.isEmpty { parts.append("/\(s.search)") }
        let x = b.put(parts.joined(separator: " · "), x: 0, y: y, style: Style(fg: .cyan))
        b.put("  " + count, x: x, y: y, style: .muted)
    }

    static func columns(_ b: inout ScreenBuffer, y: Int, _ cols: [(String, Int)]) {
        var x = 0
        for (title, w) in cols {
            b.put(title, x: x, y: y, style: Style(bold: true), maxWidth: w)
            x += w + 1
        }
    }

    /// Widths for the columns, the last one taking what is left.
    static func widths(_ total: Int, _ fixed: [Int]) -> [Int] {
        let used = fixed.reduce(0, +) + fixed.count
        return fixed + [max(4, total - used)]
    }

    static func list<Row>(
        _ s: DashState, _ b: inout ScreenBuffer, rows: [Row], view: DashState.View, empty: String, cells: (Row) -> [(String, Style)],
        widths w: [Int]
    ) {
        let top = s.top[view] ?? 0
        let selected = s.selected[view] ?? 0
        if rows.isEmpty { b.put(empty, x: 0, y: 4, style: .muted) }
        for (k, row) in rows.dropFirst(top).prefix(s.listHeight).enumerated() {
            let y = 4 + k
            var x = 0
            for (i, (text, style)) in cells(row).enumerated() where i < w.count {
                b.put(text, x: x, y: y, style: style, maxWidth: w[i])
                x += w[i] + 1
            }
            if top + k == selected { b.fill(y: y, style: .selected) }
        }
    }

    static func alerts(_ s: DashState, _ b: inout ScreenBuffer) {
        let rows = s.visibleAlerts
        filterLine(s, &b, y: 2, fields: true, count: "\(rows.count) of \(s.alerts.count)")
        let wide = s.width >= 100
        let w = widths(s.width, wide ? [8, 12, 17, 10, 30] : [8, 12, 16, 15])
        let titles = wide ? ["SEVERITY", "STATE", "ASSET", "RAISED", "RULE", "EVIDENCE"] : ["SEVERITY", "STATE", "ASSET", "RULE", "EVIDENCE"]
        columns(&b, y: 3, zip(titles, w).map { ($0, $1) })
        list(
            s, &b, rows: rows, view: .alerts, empty: s.alerts.isEmpty ? "no alerts loaded yet" : "no alert matches the filters",
            cells: { a in
                let st = severityStyle(a.severity, state: a.state)
                let rule = a.rule.split(separator: ".").dropFirst().joined(separator: ".")
                return [
                    (a.severity, st), (a.shownState, a.shownState == "acknowledged" ? Style(fg: .blue) : st), (a.asset, .plain),
                ] + (wide ? [(a.raisedOn, .plain)] : []) + [
                    (rule.isEmpty ? a.rule : rule, .plain), ((a.advisory ? "[advisory] " : "") + a.evidence, .plain),
                ]
            }, widths: w)
    }

    static func safety(_ s: DashState, _ b: inout ScreenBuffer) {
        let rows = s.visibleSafety
        filterLine(s, &b, y: 2, fields: false, count: "\(rows.count) bridges")
        let wide = s.width >= 100
        let w = widths(s.width, wide ? [4, 7, 11, 11, 19, 10] : [3, 6, 10, 19, 10])
        let titles = wide ? ["#", "BRIDGE", "CLASS", "DEFECTS", "STEP", "DUE", "WHY"] : ["#", "BRIDGE", "CLASS", "STEP", "DUE", "WHY"]
        columns(&b, y: 3, zip(titles, w).map { ($0, $1) })
        list(
            s, &b, rows: rows, view: .queueSafety, empty: "the safety-assessment queue is empty",
            cells: { r in
                // A provisional class (forms or census data missing) is marked "*".
                [(String(r.rank), .plain), (r.bridgeId, .plain), (r.overall + (r.provisional ? "*" : ""), classStyle(r.overall))]
                    + (wide ? [(r.defectLevel, classStyle(r.defectLevel))] : []) + [
                        (r.step, r.step.contains("immediate") ? Style(fg: .red, bold: true) : .plain),
                        (r.due ?? "–", r.overdue ? Style(fg: .red) : .plain),
                        (r.municipality + " · " + r.reasons.joined(separator: "; "), .plain),
                    ]
            }, widths: w)
    }

    static func inspection(_ s: DashState, _ b: inout ScreenBuffer) {
        let rows = s.visibleInspection
        filterLine(s, &b, y: 2, fields: false, count: "\(rows.count) sites")
        let w = widths(s.width, s.width >= 100 ? [4, 7, 18, 6, 6, 11] : [3, 6, 14, 6, 5, 10])
        columns(&b, y: 3, zip(["#", "SITE", "MUNICIPALITY", "HAZARD", "SCORE", "FOLLOW-UP", "WHY"], w).map { ($0, $1) })
        list(
            s, &b, rows: rows, view: .queueInspection, empty: "the inspection queue is empty",
            cells: { r in
                [
                    (String(r.rank), .plain), (r.siteId, .plain), (r.municipality, .plain), (r.hazardGrade, classStyle(r.hazardGrade)),
                    (String(format: "%.2f", r.score), .plain), (r.followUpDue ?? "–", .plain), (r.reasons.joined(separator: "; "), .plain),
                ]
            }, widths: w)
    }

    static func footer(_ s: DashState, _ b: inout ScreenBuffer) {
        let y = s.height - 1
        switch s.mode {
        case .search: b.put("/" + s.input + "▏", x: 0, y: y, style: Style(bold: true))
        case .municipality: b.put("municipality: " + s.input + "▏  (Enter: apply, empty: all)", x: 0, y: y, style: Style(bold: true))
        case .note(let action, let id):
            b.put("\(action) \(id) — note: " + s.input + "▏  (Enter: send, Esc: cancel)", x: 0, y: y, style: Style(bold: true))
        default:
            if let m = s.message {
                b.put(m, x: 0, y: y, style: Style(fg: .yellow))
            } else {
                let hints =
                    s.view == .asset
                    ? "Esc back · a ack · x resolve · u reopen · ↑↓ scroll · ? help"
                    : s.width < 100
                        ? "Tab · / search · d s f filter · m town · o sort · Enter open · a ack · ? · q"
                        : "Tab views · / search · d s f filter · m municipality · o sort · Enter open · a ack · ? help · q quit"
                b.put(hints, x: 0, y: y, style: .muted)
            }
        }
    }

    static let helpLines = [
        "Keys", "",
        "Tab / Shift-Tab, 1-4   next / previous view, or jump to one",
        "↑ ↓  j k   PgUp PgDn   move (scroll in an asset)",
        "g G  Home End          first / last row",
        "Enter                  open the selected asset (on the map: the nearest)",
        "Esc  q                 back; q at a top view quits",
        "/                      search (incremental); Esc clears it",
        "d  s  f                filter domain, severity, state (cycle)",
        "m                      filter by municipality (prefix)",
        "o                      sort by severity, age or asset",
        "a  x  u                acknowledge, resolve, reopen (asks for a note)",
        "← → h l                move the map cursor",
        "r                      reload now",
        "?                      this help; any key closes it",
    ]

    static func help(_ s: DashState, _ b: inout ScreenBuffer) {
        let w = min(s.width - 2, 78)
        let h = min(s.height - 2, helpLines.count + 2)
        let x0 = max(0, (s.width - w) / 2)
        let y0 = max(0, (s.height - h) / 2)
        for y in y0..<(y0 + h) {
            b.put(String(repeating: " ", count: w), x: x0, y: y, style: Style(fg: .black, bg: .white))
        }
        for (i, line) in helpLines.prefix(h - 2).enumerated() {
            b.put(line, x: x0 + 2, y: y0 + 1 + i, style: Style(fg: .black, bg: .white, bold: i == 0), maxWidth: w - 4)
        }
    }
}
