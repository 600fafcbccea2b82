import Dashboard
import Foundation
import Testing

@Suite("Dashboard rendering: golden screens at 80×24 and 120×40, diffs, NO_COLOR")
struct RenderTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Compares with `Golden/NAME.txt`; `DASH_GOLDEN_UPDATE=1` writes the files instead.
    func check(_ s: DashState, _ name: String) throws {
        let text = DashRender.render(s).text + "\n"
        let url = Self.golden.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["DASH_GOLDEN_UPDATE"] == "1" {
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs; rendered:\n\(text)")
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func everyViewMatchesItsGoldenScreen(_ size: (Int, Int)) throws {
        let (w, h) = size
        var s = Fixture.state(width: w, height: h)
        try check(s, "alerts-\(w)x\(h)")
        _ = s.update(.key(.down))
        _ = s.update(.key(.char("?")))
        try check(s, "help-\(w)x\(h)")
        _ = s.update(.key(.escape))
        _ = s.update(.key(.tab))
        try check(s, "queue-safety-\(w)x\(h)")
        _ = s.update(.key(.tab))
        try check(s, "queue-inspection-\(w)x\(h)")
        _ = s.update(.key(.tab))
        try check(s, "map-\(w)x\(h)")
        _ = s.update(.key(.char("1")))
        _ = s.update(.key(.char("g")))
        _ = s.update(.key(.down))
        _ = s.update(.key(.down))
        _ = s.update(.key(.enter))
        _ = s.update(.asset(Fixture.asset))
        try check(s, "asset-\(w)x\(h)")
        _ = s.update(.key(.char("x")))
        for c in "fixed valve" { _ = s.update(.key(.char(c))) }
        try check(s, "note-\(w)x\(h)")
    }

    @Test func aLiveUpdateRewritesOnlyTheCellsThatChanged() {
        var s = Fixture.state()
        let before = DashRender.render(s)
        let renderer = Renderer(color: true)
        let first = renderer.diff(from: nil, to: before)
        #expect(first.hasPrefix("\u{1B}[0m\u{1B}[2J") && first.contains("\u{1B}[0;1;30;46m"))
        #expect(renderer.diff(from: before, to: before).isEmpty)
        _ = s.update(.key(.down))
        let after = DashRender.render(s)
        let change = renderer.diff(from: before, to: after)
        // Two rows change style (the old and the new selection): a small write, no clear.
        #expect(!change.contains("\u{1B}[2J") && change.count < first.count / 5, "\(change.count) vs \(first.count)")
        #expect(change.contains("\u{1B}[5;1H") && change.contains("\u{1B}[6;1H"))
        // NO_COLOR: styles stay (bold, reverse), colours go.
        let plain = Renderer(color: false).diff(from: nil, to: after)
        #expect(!plain.contains(";31") && !plain.contains(";46") && plain.contains("\u{1B}[0;7m"))
        // A resize redraws everything.
        _ = s.update(.resized(width: 100, height: 30))
        #expect(renderer.diff(from: after, to: DashRender.render(s)).hasPrefix("\u{1B}[0m\u{1B}[2J"))
    }

    @Test func sparklinesScaleToTheirWidth() {
        #expect(AssetView.sparkline([0, 1, 2, 3, 4, 5, 6, 7], width: 8) == "▁▂▃▄▅▆▇█")
        #expect(AssetView.sparkline([1, 1, 1, 1, 8, 8, 8, 8], width: 2) == "▂█")
        #expect(AssetView.sparkline([2, 2, 2, 2, 2, 2, 2], width: 3) == "███")
        #expect(AssetView.sparkline([0, 0], width: 5) == "▁▁")
        #expect(AssetView.sparkline([], width: 5).isEmpty)
    }

    @Test func theMapPutsDotsWhereTheAssetsAreAndNamesTheOneUnderTheCursor() {
        var s = Fixture.state(width: 80, height: 24)
        _ = s.update(.key(.char("4")))
        let screen = DashRender.render(s).text
        #expect(screen.contains("Legend") && screen.contains("3 bridges") && screen.contains("1 waste sites"))
        #expect(screen.unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }.count >= 4)
        // Walk the cursor to Lainate's waste site (north-west of the centre) and open it.
        var found: MapPoint?
        for _ in 0..<40 where found?.id != "wastesite-WS0003" {
            _ = s.update(.key(.left))
            _ = s.update(.key(.up))
            found = MapView.nearest(in: s)
        }
        #expect(found?.municipality == "Lainate")
        #expect(s.update(.key(.enter)) == [.loadAsset("wastesite-WS0003")])
    }
}
