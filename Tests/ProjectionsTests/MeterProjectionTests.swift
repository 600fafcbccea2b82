@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

@Suite("Meter projection")
struct MeterProjectionTests {
    static func rules() throws -> MeterRules { try RuleSetLoader.load(MeterRules.self, name: "meters", directory: Paths.rules) }

    static func recorded(_ e: any DomainEvent, position: UInt64) throws -> RecordedEvent {
        RecordedEvent(
            position: position, stream: e.stream, version: 0, id: UUID(), type: type(of: e).eventType, schemaVersion: 1, recordedAt: 0, actor: "t",
            correlationId: nil, causationId: nil, metadata: Data("{}".utf8), payload: try e.payload(), hash: Data(count: 32))
    }

    /// Feeds a water meter `days` days of quiet nights, then `leakDays` days with a leak.
    func waterMeter(days: Int, leakFrom: Int?, litresPerHour: Double = 30, gapOn: Int? = nil) throws -> MeterProjection.State {
        var feeder = Feeder(MeterProjection(rules: try Self.rules()))
        func feed(_ e: any DomainEvent) throws { try feeder.feed(e) }
        try feed(TariffSet(kind: .water, observedAt: "2025-01-01", pricePerUnitEUR: 2))
        try feed(
            MeterInstalled(
                meterId: "SC0001-W1", buildingId: "SC0001", observedAt: "2025-01-31T00:00:00Z", kind: .water, unit: "m3", registerDigits: 6,
                multiplier: 1, intervalMinutes: 15, initialReading: 100, usage: .water))
        var register = 100.0
        let start = DomainTime.date("2025-02-01")!
        for d in 0..<days {
            var readings: [Double?] = []
            for i in 0..<96 {
                let hour = i / 4
                var c = (hour >= 8 && hour < 16) ? 0.05 + 0.002 * Double(i % 4) : (i % 3 == 0 ? 0.001 : 0)
                if let l = leakFrom, d >= l { c += litresPerHour / 1000 / 4 }
                register += c
                readings.append(gapOn == d && (20..<40).contains(i) ? nil : (register * 1000).rounded() / 1000)
            }
            try feed(
                MeterReadingsRecorded(
                    meterId: "SC0001-W1", observedAt: DomainTime.timestampString(start.addingTimeInterval(Double(d) * 86400)), intervalMinutes: 15,
                    readings: readings, resets: nil))
        }
        return feeder.state
    }

    @Test func aLeakFiresAfterThePendingNightsAndNotBefore() throws {
        let quiet = try waterMeter(days: 30, leakFrom: nil)
        #expect(quiet.alerts.values.filter { $0.rule == "meter.waterLeak" }.isEmpty)
        let leaking = try waterMeter(days: 30, leakFrom: 20)
        let leaks = leaking.alerts.values.filter { $0.rule == "meter.waterLeak" }
        #expect(leaks.count == 1)
        // Night 20 is pending, night 21 fires (pendingNights = 2).
        #expect(leaks.first?.raisedOn == "2025-02-22")
        #expect(leaks.first?.evidence.contains("L/h at night") == true)
        #expect(leaks.first?.evidence.contains("€/day at 2.00 €/m³") == true)
        #expect(leaks.first?.state == .firing)
    }

    /// Issue 16, meters 2: drops are read by where they start from; nothing is refused, no
    /// consumption is booked across a drop, and the day after is not a spike.
    @Test func aRegisterThatGoesBackIsReadNotRefused() throws {
        var feeder = Feeder(MeterProjection(rules: try Self.rules()))
        try feeder.feed(Self.installed("SC0001-E1", .electricity, digits: 5, initial: 1000, on: "2025-01-31T00:00:00Z"))
        var register = 1000.0
        let start = DomainTime.date("2025-02-01")!
        func day(_ d: Int, _ edit: (Int, inout Double) -> Void = { _, _ in }) throws {
            var readings: [Double?] = []
            for i in 0..<96 {
                register += ((i / 4 >= 8 && i / 4 < 16) ? 2 : 0.5) + 0.1 * Double(i % 3)
                edit(i, &register)
                readings.append((register * 10).rounded() / 10)
            }
            try feeder.feed(
                MeterReadingsRecorded(
                    meterId: "SC0001-E1", observedAt: DomainTime.timestampString(start.addingTimeInterval(Double(d) * 86400)), intervalMinutes: 15,
                    readings: readings, resets: nil))
        }
        for d in 0..<20 { try day(d) }
        // An unmarked drop (a swap the gateway did not report), then ordinary days.
        try day(20) { i, r in if i == 40 { r = 12 } }
        for d in 21..<25 { try day(d) }
        var alerts = feeder.state.alerts.values.filter { $0.asset == "meter-SC0001-E1" }
        #expect(alerts.map(\.rule) == ["meter.counterRegression"])
        #expect(alerts.first?.evidence.contains("unmarked drop: no consumption booked across it") == true)
        #expect(alerts.first?.evidence.contains(" kWh") == true)
        // A drop from near the register's maximum (5 digits: 99,999) is a rollover.
        register = 99_900
        try day(25)
        try day(26) { i, r in if r >= 100_000 { r -= 100_000 } }
        alerts = feeder.state.alerts.values.filter { $0.asset == "meter-SC0001-E1" && $0.rule == "meter.rollover" }
        #expect(alerts.count == 1 && alerts.first?.evidence.contains("unmarked rollover") == true)
        // A delta no school meter can deliver: flagged, booked as nothing.
        try day(27) { i, r in if i == 10 { r += 5000 } }
        // (The jump to 99,900 above is one too.)
        let implausible = feeder.state.alerts.values.filter { $0.rule == "meter.implausibleDelta" }.sorted { $0.raisedOn < $1.raisedOn }
        #expect(implausible.map(\.raisedOn) == ["2025-02-26", "2025-02-28"])
        #expect(implausible.last?.evidence.hasPrefix("5000.600 kWh in 15 min") == true)
        #expect(!feeder.state.alerts.values.contains { $0.rule == "meter.spike" })
    }

    /// Issue 16, meters 3: a meter that stops sending is found on the log's clock (when batches
    /// were recorded), not by nulls inside a batch; a backfilled history is not silence.
    @Test func aMeterThatStopsSendingIsSilentByTheLogsClock() throws {
        let p = MeterProjection(rules: try Self.rules())
        var state = p.initialState()
        var position: UInt64 = 0
        let t0 = Int64(DomainTime.dateTime("2025-03-01T00:00:00Z")!.timeIntervalSince1970 * 1_000_000)
        func feed(_ e: any DomainEvent, hoursAfterStart h: Double) throws {
            position += 1
            var r = try Self.recorded(e, position: position)
            r.recordedAt = t0 + Int64(h * 3_600_000_000)
            try p.apply(r, e, to: &state)
        }
        for (n, id) in ["SC0001-E1", "SC0001-E2"].enumerated() {
            try feed(
                MeterInstalled(
                    meterId: id, buildingId: "SC0001", observedAt: "2025-01-31T00:00:00Z", kind: .electricity, unit: "kWh", registerDigits: 6,
                    multiplier: 1, intervalMinutes: 15, initialReading: 100, usage: .general), hoursAfterStart: Double(n) * 0.01)
        }
        func batch(_ id: String, day d: Int) -> MeterReadingsRecorded {
            let start = DomainTime.date("2025-02-01")!.addingTimeInterval(Double(d) * 86400)
            return MeterReadingsRecorded(
                meterId: id, observedAt: DomainTime.timestampString(start), intervalMinutes: 15,
                readings: (0..<96).map { 100 + Double(d * 96 + $0) * 0.5 + 0.5 }, resets: nil)
        }
        // A month of history loaded in a minute: no silence.
        for d in 0..<28 {
            try feed(batch("SC0001-E1", day: d), hoursAfterStart: 0.02 + Double(d) * 0.0001)
            try feed(batch("SC0001-E2", day: d), hoursAfterStart: 0.02 + Double(d) * 0.0001)
        }
        #expect(!state.alerts.values.contains { $0.rule == "meter.silent" })
        // Then daily batches; E2's gateway stops after day 29.
        for d in 28..<33 {
            try feed(batch("SC0001-E1", day: d), hoursAfterStart: Double(d - 27) * 24)
            if d < 30 { try feed(batch("SC0001-E2", day: d), hoursAfterStart: Double(d - 27) * 24 + 0.1) }
        }
        let silent = state.alerts.values.filter { $0.rule == "meter.silent" }
        #expect(silent.map(\.asset) == ["meter-SC0001-E2"])
        #expect(silent.first?.state == .firing && silent.first?.evidence.hasPrefix("no batch since 2025-03-03T00:06:00Z") == true, "\(silent)")
        // It sends again: resolved.
        try feed(batch("SC0001-E2", day: 30), hoursAfterStart: 6 * 24)
        #expect(state.alerts[silent[0].id]?.state == .resolved)
    }

    /// Issue 16, meters 4: water that does not flow while the school is open (local time, by
    /// the rule file's calendar) is stuck; the same flat day in the summer closure is not; an
    /// idle start does not exempt a meter for ever.
    @Test func waterThatDoesNotFlowInSchoolHoursIsStuck() throws {
        func run(from first: String, flatDays: Range<Int>) throws -> [AlertRecord] {
            var feeder = Feeder(MeterProjection(rules: try Self.rules()))
            try feeder.feed(Self.installed("SC0001-W1", .water, digits: 6, initial: 100, on: "2024-01-01T00:00:00Z"))
            var register = 100.0
            let start = DomainTime.date(first)!
            for d in 0..<40 {
                let dayStart = start.addingTimeInterval(Double(d) * 86400)
                let open = MeterProjectionTests.schoolOpen(dayStart)
                var readings: [Double?] = []
                for i in 0..<96 {
                    // Local 08:00-16:00 is 06:00/07:00-14:00/15:00 UTC: flow from 06:00 to 15:00 UTC on open days.
                    if !flatDays.contains(d) && open && i / 4 >= 6 && i / 4 < 15 { register += 0.02 + 0.001 * Double(i % 3) }
                    readings.append((register * 1000).rounded() / 1000)
                }
                try feeder.feed(
                    MeterReadingsRecorded(
                        meterId: "SC0001-W1", observedAt: DomainTime.timestampString(dayStart), intervalMinutes: 15, readings: readings, resets: nil))
            }
            return feeder.state.alerts.values.filter { $0.rule == "meter.stuck" }
        }
        // 2025-02-03 is a Monday; days 0-13 (the first weeks, flat) teach, then day 30 is flat.
        var stuck = try run(from: "2025-02-03", flatDays: 0..<14)
        #expect(stuck.isEmpty)
        stuck = try run(from: "2025-02-03", flatDays: 30..<31)
        #expect(stuck.count == 1 && stuck.first?.evidence.contains("of school hours") == true, "\(stuck.map(\.evidence))")
        #expect(stuck.first?.raisedOn == "2025-03-05")
        // The same flat stretch in the summer closure is no fault.
        stuck = try run(from: "2025-07-07", flatDays: 30..<40)
        #expect(stuck.isEmpty)
    }

    /// A 15-minute meter of building SC0001.
    static func installed(_ id: String, _ kind: MeterKind, digits: Int, initial: Double, on day: String) -> MeterInstalled {
        MeterInstalled(
            meterId: id, buildingId: "SC0001", observedAt: day, kind: kind, unit: kind.unit, registerDigits: digits, multiplier: 1,
            intervalMinutes: 15, initialReading: initial, usage: kind == .water ? .water : .general)
    }

    static func schoolOpen(_ utcMidnight: Date) -> Bool {
        let rules = try! RuleSetLoader.load(MeterRules.self, name: "meters", directory: Paths.rules)
        return rules.schoolCalendar!.isSchoolDay(rules.schoolCalendar!.local(utcMidnight.addingTimeInterval(12 * 3600)))
    }

    /// Issue 16, meters 6: drift runs on hourly meters, fires on a lasting shift and resolves
    /// when the totals come back (hysteresis), or is refit to a shift that persists.
    @Test func driftRunsOnHourlyMetersAndResolves() throws {
        func run(shifted: Range<Int>, days: Int, refitDays: Int? = nil) throws -> [AlertRecord] {
            var rules = try Self.rules()
            if let refitDays { rules.drift.refitDays = refitDays }
            var feeder = Feeder(MeterProjection(rules: rules))
            var meter = Self.installed("SC0001-E1", .electricity, digits: 7, initial: 1000, on: "2025-01-31T00:00:00Z")
            meter.intervalMinutes = 60
            try feeder.feed(meter)
            var register = 1000.0
            let start = DomainTime.date("2025-02-01")!
            for d in 0..<days {
                let factor = shifted.contains(d) ? 1.5 : 1.0
                var readings: [Double?] = []
                for h in 0..<24 {
                    let wobble = 1 + 0.03 * sin(Double(d * 7 + h))
                    register += ((h >= 8 && h < 16) ? 20 : 4) * factor * wobble
                    readings.append((register * 10).rounded() / 10)
                }
                try feeder.feed(
                    MeterReadingsRecorded(
                        meterId: "SC0001-E1", observedAt: DomainTime.timestampString(start.addingTimeInterval(Double(d) * 86400)),
                        intervalMinutes: 60,
                        readings: readings, resets: nil))
            }
            return feeder.state.alerts.values.filter { $0.rule == "meter.drift" }
        }
        let quiet = try run(shifted: 0..<0, days: 60)
        #expect(quiet.isEmpty)
        let back = try run(shifted: 40..<46, days: 60)
        #expect(back.count == 1 && back.first?.state == .resolved, "\(back)")
        #expect(back.first?.resolution == "day totals back to the reference for 3 days")
        // A shift that lasts keeps firing (v2 refits nothing: on a ramp a refit re-alerted)…
        var lasting = try run(shifted: 40..<90, days: 90)
        #expect(lasting.count == 1 && lasting.first?.state == .firing)
        // …unless a rule set refits the reference to the new level.
        lasting = try run(shifted: 40..<90, days: 90, refitDays: 28)
        #expect(lasting.first?.resolution?.hasPrefix("the reference was refit to the new level") == true, "\(lasting)")
        #expect(lasting.count == 1)
    }

    @Test func aClosedGapIsAGapNotASpike() throws {
        let s = try waterMeter(days: 30, leakFrom: nil, gapOn: 25)
        let rules = Set(s.alerts.values.map(\.rule))
        #expect(rules == ["meter.gap"])
        let gap = try #require(s.alerts.values.first)
        #expect(gap.state == .resolved)
        #expect(gap.raisedAt == "2025-02-26T05:00:00Z")
    }

    @Test func detectorsFindEveryInjectedAnomalyOfASmallCity() async throws {
        var o = CityGenerator.Options(seed: 9, days: 150)
        o.bridges = 5
        o.wasteSites = 5
        o.buildings = 60
        var validator = DemoValidator(seed: 9, now: o.end)
        var truth: [GroundTruth] = []
        let p = MeterProjection(rules: try Self.rules())
        var state = p.initialState()
        var position: UInt64 = 0
        try await CityGenerator(options: o).run(
            emit: { item in
                let e = try validator.proposed(item)
                position += 1
                if e.stream.hasPrefix("meter-") || e.stream.hasPrefix("building-") {
                    let r = RecordedEvent(
                        position: position, stream: e.stream, version: 0, id: e.id, type: e.type, schemaVersion: 1, recordedAt: 0, actor: "t",
                        correlationId: nil, causationId: nil, metadata: e.metadata, payload: e.payload, hash: Data(count: 32))
                    try p.apply(r, try Catalog.decode(r), to: &state)
                }
            }, truth: { truth.append($0) })
        let scores = DetectionScorer.score(truth: truth.filter { $0.stream.hasPrefix("meter-") }, alerts: Array(state.alerts.values))
        for s in scores where s.truths > 0 {
            #expect(s.recall == 1, "\(s.kind): recall \(s.recall ?? 0)")
            #expect(s.precision == 1, "\(s.kind): precision \(s.precision ?? 0)")
        }
        #expect(scores.filter { $0.truths > 0 }.count >= 5)
        // Every value an alert quotes carries its unit (issue 15, first hour).
        for a in state.alerts.values where ["meter.counterRegression", "meter.spike", "meter.drift", "meter.rollover"].contains(a.rule) {
            #expect([" kWh", " Sm3", " m3"].contains { a.evidence.contains($0) }, "\(a.rule): \(a.evidence)")
        }
    }
}

/// Applies domain events to a projection directly (no store), numbering their positions.
struct Feeder<P: Projection> {
    let projection: P
    var state: P.State
    var position: UInt64 = 0

    init(_ projection: P) {
        self.projection = projection
        state = projection.initialState()
    }

    mutating func feed(_ e: any DomainEvent) throws {
        position += 1
        try projection.apply(try MeterProjectionTests.recorded(e, position: position), e, to: &state)
    }
}
