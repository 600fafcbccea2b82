import Dashboard
import Testing

@Suite("Dashboard view model: keys, filters, search, sorting, actions")
struct DashStateTests {
    func press(_ s: inout DashState, _ keys: Key...) -> [Effect] { keys.flatMap { s.update(.key($0)) } }
    func type(_ s: inout DashState, _ text: String) { for c in text { _ = s.update(.key(.char(c))) } }

    @Test func keysAreDecodedFromTerminalBytes() {
        let (keys, rest) = Key.parse(Array("\u{1B}[A\u{1B}[B\u{1B}[5~\u{1B}[6~j\t\u{1B}[Z\r\u{7F}è\u{1B}".utf8) + [0x03])
        #expect(keys == [.up, .down, .pageUp, .pageDown, .char("j"), .tab, .backTab, .enter, .backspace, .char("è"), .escape, .ctrlC])
        #expect(rest.isEmpty)
        // A sequence split across reads is kept for the next one.
        let (first, kept) = Key.parse(Array("x\u{1B}[".utf8))
        #expect(first == [.char("x")] && kept == Array("\u{1B}[".utf8))
        #expect(Key.parse(kept + Array("C".utf8)).keys == [.right])
    }

    @Test func filtersCycleAndNarrowTheList() {
        var s = Fixture.state()
        #expect(s.visibleAlerts.count == 4)  // firing (acknowledged included), resolved hidden
        _ = press(&s, .char("d"))
        #expect(s.filter.domain == "bridge" && s.visibleAlerts.map(\.asset) == ["bridge-MI0001", "bridge-MI0002"])
        _ = press(&s, .char("d"), .char("d"), .char("d"))
        #expect(s.filter.domain == nil)
        _ = press(&s, .char("s"))
        #expect(s.filter.severity == "critical" && s.visibleAlerts.count == 2)
        _ = press(&s, .char("s"), .char("s"), .char("s"), .char("f"))
        #expect(s.filter.state == "acknowledged" && s.visibleAlerts.map(\.asset) == ["wastesite-WS0003"])
        _ = press(&s, .char("f"))
        #expect(s.filter.state == "resolved" && s.visibleAlerts.map(\.asset) == ["bridge-MI0003"])
        _ = press(&s, .char("f"))
        #expect(s.filter.state == nil && s.visibleAlerts.count == 5)
        // Municipality: a meter's is its building's.
        _ = press(&s, .char("m"))
        type(&s, "mil")
        _ = press(&s, .enter)
        #expect(s.filter.municipality == "mil" && Set(s.visibleAlerts.map(\.asset)) == ["bridge-MI0001", "meter-SC0001-W1"])
    }

    @Test func searchIsIncrementalAndEscapeClearsIt() {
        var s = Fixture.state()
        _ = press(&s, .char("/"))
        type(&s, "le")
        #expect(s.visibleAlerts.map(\.asset) == ["bridge-MI0001", "meter-SC0001-W1"])  // "Level 4 required", "leak"
        type(&s, "a")
        #expect(s.visibleAlerts.map(\.asset) == ["meter-SC0001-W1"])
        _ = press(&s, .backspace, .backspace)
        #expect(s.search == "l" && s.visibleAlerts.count > 2)
        _ = press(&s, .char("a"), .char("i"), .char("n"), .enter)
        #expect(s.mode == .normal && s.search == "lain" && s.visibleAlerts.map(\.asset) == ["wastesite-WS0003"])
        // Esc in an asset opened from the search goes back to it; the next Esc clears it.
        _ = press(&s, .enter)
        _ = press(&s, .escape)
        #expect(s.view == .alerts && s.search == "lain")
        _ = press(&s, .escape)
        #expect(s.search.isEmpty && s.visibleAlerts.count == 4)
    }

    @Test func sortingBySeverityAgeAndAsset() {
        var s = Fixture.state()
        #expect(s.visibleAlerts.map(\.asset) == ["wastesite-WS0003", "bridge-MI0001", "meter-SC0001-W1", "bridge-MI0002"])
        _ = press(&s, .char("o"))
        #expect(s.sort == .age && s.visibleAlerts.first?.asset == "bridge-MI0002")
        _ = press(&s, .char("o"))
        #expect(s.sort == .asset && s.visibleAlerts.map(\.asset) == ["bridge-MI0001", "bridge-MI0002", "meter-SC0001-W1", "wastesite-WS0003"])
    }

    @Test func theSelectionStaysOnItsAlertWhenNewOnesArrive() {
        var s = Fixture.state()
        _ = press(&s, .down, .down)
        #expect(s.selectedAlert?.asset == "meter-SC0001-W1")
        let newer = Fixture.alert("bridge-MI0009.dangerousDefect.99", "bridge-MI0009", severity: "critical", on: "2026-11-30")
        _ = s.update(.alerts([newer] + Fixture.alerts))
        #expect(s.selectedAlert?.asset == "meter-SC0001-W1" && s.selected[.alerts] == 3)
        _ = press(&s, .end)
        #expect(s.selected[.alerts] == 4)
        _ = press(&s, .pageUp, .up)
        #expect(s.selected[.alerts] == 0)
    }

    @Test func tabsEnterAndEscapeNavigate() {
        var s = Fixture.state()
        _ = press(&s, .tab)
        #expect(s.view == .queueSafety)
        _ = press(&s, .down)
        #expect(press(&s, .enter) == [.loadAsset("bridge-MI0002")] && s.view == .asset)
        _ = press(&s, .escape)
        #expect(s.view == .queueSafety && s.assetId == nil)
        _ = press(&s, .backTab, .backTab)
        #expect(s.view == .map)
        _ = press(&s, .char("3"))
        #expect(s.view == .queueInspection)
        #expect(press(&s, .enter) == [.loadAsset("wastesite-WS0003")])
        _ = press(&s, .char("q"))
        #expect(s.view == .queueInspection)
        #expect(press(&s, .char("q")) == [.quit])
        #expect(press(&s, .ctrlC) == [.quit])
    }

    @Test func actingNeedsANoteAndTheLifecycleAllowsIt() {
        var s = Fixture.state()
        // The first row is the acknowledged fire: resolving it is allowed, reopening is not.
        #expect(press(&s, .char("u")).isEmpty && s.message!.contains("cannot reopen"))
        _ = press(&s, .down)
        _ = press(&s, .char("a"))
        #expect(s.mode == .note(action: "acknowledge", alertId: "bridge-MI0001.dangerousDefect.12"))
        #expect(press(&s, .enter).isEmpty && s.message!.contains("note is required"))
        _ = press(&s, .char("a"))
        type(&s, "closure ordered")
        #expect(press(&s, .enter) == [.act(action: "acknowledge", alertId: "bridge-MI0001.dangerousDefect.12", note: "closure ordered")])
        #expect(s.update(.acted("acknowledged")) == [.loadAlerts])
        // Esc cancels a note.
        _ = press(&s, .char("x"))
        type(&s, "oops")
        #expect(press(&s, .escape).isEmpty && s.mode == .normal)
        // The help overlay closes on any key.
        _ = press(&s, .char("?"))
        #expect(s.mode == .help)
        _ = press(&s, .char("j"))
        #expect(s.mode == .normal && s.selected[.alerts] == 1)
    }

    @Test func feedEventsReloadTheAlertsAndTheOpenAsset() {
        var s = Fixture.state()
        #expect(s.update(.alertEvent) == [.loadAlerts])
        _ = press(&s, .enter)
        #expect(s.update(.alertEvent) == [.loadAlerts, .loadAsset("wastesite-WS0003")])
        _ = s.update(.connection(up: false, "disconnected: retrying"))
        #expect(!s.connected)
    }
}
