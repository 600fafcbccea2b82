import Foundation

/// One asset: state and class with the derivation trace, defects and data gaps, open alerts,
/// a sparkline of the last 7 days for meters, and the event timeline (actor, observed and
/// recorded times). Scrolls with ↑↓.
public enum AssetView {
    static let sparks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// `values` squeezed into `width` cells (each the mean of its share) as block characters.
    public static func sparkline(_ values: [Double], width: Int) -> String {
        guard !values.isEmpty, width > 0 else { return "" }
        let n = min(width, values.count)
        // Averages, not sums: buckets of 2 and 3 values side by side would show as a pattern.
        var buckets = Array(repeating: 0.0, count: n)
        var counts = Array(repeating: 0.0, count: n)
        for (i, v) in values.enumerated() {
            buckets[i * n / values.count] += v
            counts[i * n / values.count] += 1
        }
        for k in 0..<n where counts[k] > 0 { buckets[k] /= counts[k] }
        let top = buckets.max() ?? 0
        guard top > 0 else { return String(repeating: sparks[0], count: n) }
        return String(buckets.map { sparks[min(sparks.count - 1, Int($0 / top * Double(sparks.count - 1) + 0.5))] })
    }

    static func lines(_ s: DashState) -> [(String, Style)] {
        guard let a = s.asset else { return [("loading \(s.assetId ?? "")…", .muted)] }
        var out: [(String, Style)] = []
        for (k, v) in a.summary.map({ ($0.name, $0.value) }) {
            out.append((k.padding(toLength: 16, withPad: " ", startingAt: 0) + v, k == "class" ? DashRender.classStyle(v) : .plain))
        }
        if !a.hourly.isEmpty {
            let total = a.hourly.reduce(0, +)
            out.append(("", .plain))
            out.append(("Last 7 days, hourly (\(String(format: "%.1f", total)) \(a.unit ?? "") in all)", Style(bold: true)))
            out.append((sparkline(a.hourly, width: s.width - 2), Style(fg: .green)))
        }
        let open = a.alerts.filter { $0.state == "firing" }
        out.append(("", .plain))
        out.append(("Alerts (\(open.count) firing of \(a.alerts.count))", Style(bold: true)))
        for al in a.alerts {
            out.append(
                (
                    "\(al.severity) \(al.shownState) \(al.rule) since \(al.raisedOn): \(al.evidence)",
                    DashRender.severityStyle(al.severity, state: al.state)
                ))
            for ack in al.acknowledgements { out.append(("    acknowledged by \(ack.by) \(ack.at): \(ack.note)", Style(fg: .blue))) }
        }
        if !a.defects.isEmpty {
            out.append(("", .plain))
            out.append(("Defects and data gaps", Style(bold: true)))
            for d in a.defects { out.append(("  " + d, .plain)) }
        }
        if !a.why.isEmpty {
            out.append(("", .plain))
            out.append(("Why (derivation)", Style(bold: true)))
            for w in a.why { out.append(("  " + w, .plain)) }
        }
        out.append(("", .plain))
        out.append(("Timeline (\(a.events.count) events)", Style(bold: true)))
        for e in a.events.reversed() {
            out.append(
                (
                    "  #\(e.position) \(e.type) observed \(e.observedAt.isEmpty ? "–" : e.observedAt) recorded \(e.recordedAt.prefix(19)) by \(e.actor)",
                    .plain
                ))
        }
        return out
    }

    static func draw(_ s: DashState, _ b: inout ScreenBuffer, top: Int) {
        b.put(s.assetId ?? "", x: 0, y: top, style: Style(bold: true))
        let all = lines(s)
        let room = s.height - top - 2
        let scroll = min(s.assetScroll, max(0, all.count - room))
        for (k, (text, style)) in all.dropFirst(scroll).prefix(room).enumerated() {
            b.put(text, x: 0, y: top + 1 + k, style: style)
        }
        if all.count > room {
            b.put(" \(scroll + 1)–\(min(all.count, scroll + room)) of \(all.count) ", x: max(0, s.width - 18), y: top, style: .muted)
        }
    }
}
