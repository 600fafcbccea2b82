import Foundation

/// The metropolitan area drawn in braille cells: each terminal cell holds 2×4 dots, so an
/// 80-column map has 160×(4·rows) points. A cell takes the colour of the worst asset in it;
/// the cursor names the municipality and the nearest asset, and Enter opens it.
public enum MapView {
    /// The area's bounding box (lon, lat), from the points or the Città metropolitana's extent.
    static func bounds(_ points: [MapPoint]) -> (minLon: Double, maxLon: Double, minLat: Double, maxLat: Double) {
        guard !points.isEmpty else { return (8.70, 9.56, 45.16, 45.65) }
        let lons = points.map(\.lon)
        let lats = points.map(\.lat)
        let padLon = max(0.01, (lons.max()! - lons.min()!) * 0.02)
        let padLat = max(0.01, (lats.max()! - lats.min()!) * 0.02)
        return (lons.min()! - padLon, lons.max()! + padLon, lats.min()! - padLat, lats.max()! + padLat)
    }

    /// Map area in cells for a screen.
    static func area(_ s: DashState, top: Int) -> (w: Int, h: Int) { (max(1, s.width - 26), max(1, s.height - top - 1)) }

    static func cell(of p: MapPoint, _ bb: (minLon: Double, maxLon: Double, minLat: Double, maxLat: Double), w: Int, h: Int) -> (
        x: Int, y: Int, dx: Int, dy: Int
    ) {
        let fx = (p.lon - bb.minLon) / (bb.maxLon - bb.minLon) * Double(w * 2)
        let fy = (bb.maxLat - p.lat) / (bb.maxLat - bb.minLat) * Double(h * 4)
        let px = max(0, min(w * 2 - 1, Int(fx)))
        let py = max(0, min(h * 4 - 1, Int(fy)))
        return (px / 2, py / 4, px % 2, py % 4)
    }

    static func rank(_ p: MapPoint) -> Int {
        switch p.label.lowercased() {
        case "alta", "alert": 0
        case "medio-alta": 1
        case "media", "acknowledged": 2
        case "medio-bassa": 3
        default: 4
        }
    }

    /// The cursor clamped into the map.
    static func cursor(_ s: DashState, top: Int) -> (x: Int, y: Int) {
        let (w, h) = area(s, top: top)
        let cx = max(0, min(w - 1, s.mapCursor.x + w / 2))
        let cy = max(0, min(h - 1, s.mapCursor.y + h / 2))
        return (cx, cy)
    }

    /// The asset nearest the cursor (in cells), if any is within a few cells.
    public static func nearest(in s: DashState) -> MapPoint? {
        let top = 3
        let (w, h) = area(s, top: top)
        let bb = bounds(s.points)
        let c = cursor(s, top: top)
        var best: (MapPoint, Double)?
        for p in s.points where !p.id.hasPrefix("building-") {
            let q = cell(of: p, bb, w: w, h: h)
            let d = Double((q.x - c.x) * (q.x - c.x)) + 4 * Double((q.y - c.y) * (q.y - c.y))
            if best == nil || d < best!.1 || (d == best!.1 && rank(p) < rank(best!.0)) { best = (p, d) }
        }
        guard let best, best.1 <= 18 else { return nil }
        return best.0
    }

    static let dotBits: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    static func draw(_ s: DashState, _ b: inout ScreenBuffer, top: Int) {
        let (w, h) = area(s, top: top)
        let bb = bounds(s.points)
        var bits = Array(repeating: UInt32(0), count: w * h)
        var worst = Array(repeating: Int.max, count: w * h)
        var worstLabel = Array(repeating: "", count: w * h)
        for p in s.points where !p.id.hasPrefix("building-") {
            let q = cell(of: p, bb, w: w, h: h)
            let i = q.y * w + q.x
            bits[i] |= dotBits[q.dy][q.dx]
            if rank(p) < worst[i] {
                worst[i] = rank(p)
                worstLabel[i] = p.label
            }
        }
        b.put("bridges and waste sites · cursor ←→↑↓ · Enter opens the nearest", x: 0, y: top - 1, style: .muted)
        for y in 0..<h {
            for x in 0..<w where bits[y * w + x] != 0 {
                let ch = Character(Unicode.Scalar(0x2800 + bits[y * w + x])!)
                b.put(String(ch), x: x, y: top + y, style: DashRender.classStyle(worstLabel[y * w + x]))
            }
        }
        let c = cursor(s, top: top)
        let under = b.char(x: c.x, y: top + c.y)
        b.put(under == " " ? "+" : String(under), x: c.x, y: top + c.y, style: Style(bold: true, reverse: true))
        // The side panel: legend and what is under the cursor.
        let px = w + 1
        var y = top
        func line(_ text: String, _ style: Style = .plain) {
            b.put(text, x: px, y: y, style: style, maxWidth: s.width - px)
            y += 1
        }
        line("Legend", Style(bold: true))
        for (label, text) in [
            ("alta", "Alta / alert"), ("medio-alta", "Medio-Alta"), ("media", "Media / ack"), ("medio-bassa", "Medio-Bassa"),
            ("bassa", "Bassa / normal"),
        ] {
            line("⣿ " + text, DashRender.classStyle(label))
        }
        y += 1
        line("Under the cursor", Style(bold: true))
        let lon = bb.minLon + (Double(c.x) + 0.5) / Double(w) * (bb.maxLon - bb.minLon)
        let lat = bb.maxLat - (Double(c.y) + 0.5) / Double(h) * (bb.maxLat - bb.minLat)
        line(String(format: "%.3f N %.3f E", lat, lon), .muted)
        if let p = nearest(in: s) {
            line(p.municipality)
            line(p.id)
            line(p.label + (p.firingAlerts > 0 ? " · \(p.firingAlerts) firing" : ""), DashRender.classStyle(p.label))
        } else {
            line("(no asset near)", .muted)
        }
        line("")
        line("\(s.points.filter { $0.id.hasPrefix("bridge-") }.count) bridges", .muted)
        line("\(s.points.filter { $0.id.hasPrefix("wastesite-") }.count) waste sites", .muted)
    }
}
