@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// Issue 16, meters 1, 5 and 7: readings by timestamp in local time, whatever the batches;
/// consumption out of hours; the lifecycle as a value.
@Suite("Meter readings by timestamp")
struct MeterTimestampTests {
    /// A meter's series: one register value per interval from `start`, cut into batches of
    /// `chunk` readings (the last one shorter), the first starting `offset` readings in.
    struct Series {
        var meterId: String
        var kind: MeterKind
        var usage: MeterUsage
        var interval = 15
        var start: Date
        var values: [Double?] = []

        func batches(chunk: Int) -> [MeterReadingsRecorded] {
            stride(from: 0, to: values.count, by: chunk).map { a in
                MeterReadingsRecorded(
                    meterId: meterId, observedAt: DomainTime.timestampString(start.addingTimeInterval(Double(a * interval * 60))),
                    intervalMinutes: interval, readings: Array(values[a..<min(values.count, a + chunk)]), resets: nil)
            }
        }

        func installed(initial: Double) -> MeterInstalled {
            MeterInstalled(
                meterId: meterId, buildingId: "SC0001", observedAt: DomainTime.timestampString(start.addingTimeInterval(-86400)), kind: kind,
                unit: kind.unit, registerDigits: 7, multiplier: 1, intervalMinutes: interval, initialReading: initial, usage: usage)
        }
    }

    static let rules = try! MeterProjectionTests.rules()
    static let rome = LocalClock.named("Europe/Rome")!

    /// Local hour (Europe/Rome) and local day number of the interval that ends at `t`.
    static func local(_ t: Date, interval: Int) -> (hour: Double, day: Int) {
        let l = rome.local(Int64(t.timeIntervalSince1970) - Int64(interval * 60))
        return (Double(l.minute) / 60, l.day)
    }

    /// A water meter of a school: flow in local school hours on school days, a trickle at
    /// night, and from local day `leakFrom` a leak of 40 L/h that runs day and night.
    static func water(
        days: Int, interval: Int = 15, leakFrom: Int? = nil, leak: Double = 0.04, trickle: Bool = true, estimateOn: Int? = nil,
        from first: String = "2025-02-03"
    ) -> Series {
        var s = Series(meterId: "SC0001-W1", kind: .water, usage: .water, interval: interval, start: DomainTime.date(first)!)
        let calendar = rules.schoolCalendar!
        var register = 100.0
        let perDay = 24 * 60 / interval
        let firstDay = local(s.start.addingTimeInterval(Double(interval * 60)), interval: interval).day
        for i in 0..<(days * perDay) {
            let t = s.start.addingTimeInterval(Double(i * interval * 60))
            let (hour, day) = local(t, interval: interval)
            let hours = Double(interval) / 60
            var flow = calendar.isSchoolDay(day: day) && hour >= 8 && hour < 16 ? 0.2 + 0.02 * Double(i % 5) : (trickle && i % 7 == 0 ? 0.004 : 0)
            if let l = leakFrom, day - firstDay >= l { flow += leak }
            // A gateway sending an estimate all day: the same flow every interval.
            if day - firstDay == estimateOn { flow = 0.5 }
            register += flow * hours
            s.values.append((register * 1000).rounded() / 1000)
        }
        return s
    }

    static func run(_ events: [any DomainEvent], rules: MeterRules = rules) throws -> MeterProjection.State {
        var feeder = Feeder(MeterProjection(rules: rules))
        for e in events { try feeder.feed(e) }
        return feeder.state
    }

    /// The series installed and sent a day (96 readings) at a time.
    static func daily(_ s: Series, initial: Double) throws -> MeterProjection.State {
        try run([s.installed(initial: initial)] + s.batches(chunk: 96))
    }

    /// The same readings give the same alerts whether they come a day at a time, three days
    /// at a time, or in chunks of 37 readings that start at any time of day; before, a
    /// multi-day batch counted as one day and windows assumed a batch started at 00:00 UTC.
    @Test func theBatchShapeDoesNotChangeWhatIsFound() throws {
        let series = Self.water(days: 40, leakFrom: 30)
        var found: [[String]] = []
        for chunk in [96, 3 * 96, 37, 1] {
            let state = try Self.run([series.installed(initial: 100)] + series.batches(chunk: chunk))
            let alerts = state.alerts.values.sorted { $0.id < $1.id }
            #expect(!alerts.contains { $0.rule == "meter.gap" }, "chunk \(chunk): \(alerts.map(\.evidence))")
            found.append(alerts.map { "\($0.rule) \($0.raisedOn) \($0.raisedAt ?? "")" })
        }
        #expect(found[0].count == 1 && found[0].first?.hasPrefix("meter.waterLeak") == true, "\(found[0])")
        for f in found.dropFirst() { #expect(f == found[0]) }
    }

    /// An hourly meter is read the same way: its night minimum hour is one reading.
    @Test func anHourlyMeterFindsTheSameLeak() throws {
        let series = Self.water(days: 40, interval: 60, leakFrom: 30)
        let state = try Self.run([series.installed(initial: 100)] + series.batches(chunk: 24 * 5))
        let leaks = state.alerts.values.filter { $0.rule == "meter.waterLeak" }
        #expect(leaks.count == 1, "\(state.alerts.values.map(\.evidence))")
        // Local day 30 (2025-03-05) is pending, day 31 fires.
        #expect(leaks.first?.raisedOn == "2025-03-06")
    }

    /// The night is local: across the switch to summer time (30 March 2025) a leak that only
    /// runs 01:00–04:00 local time is found before and after it, not an hour off.
    @Test func windowsFollowLocalTimeAcrossDST() throws {
        func series(nightOnlyLeakFrom: Int?) -> Series {
            var s = Series(meterId: "SC0001-W1", kind: .water, usage: .water, start: DomainTime.date("2025-03-10")!)
            var register = 100.0
            for i in 0..<(40 * 96) {
                let (hour, day) = Self.local(s.start.addingTimeInterval(Double(i * 900)), interval: 15)
                var flow = hour >= 8 && hour < 16 ? 0.2 + 0.02 * Double(i % 5) : 0.0
                let dayIndex = day - Self.rome.local(Int64(s.start.timeIntervalSince1970)).day
                if let l = nightOnlyLeakFrom, dayIndex >= l, hour >= 1 && hour < 4 { flow += 0.05 }
                register += flow / 4
                s.values.append((register * 1000).rounded() / 1000)
            }
            return s
        }
        let quiet = series(nightOnlyLeakFrom: nil)
        #expect(try Self.daily(quiet, initial: 100).alerts.isEmpty)
        // The leak starts on local day 22 (1 April, after the switch): found on its second night.
        let leaking = series(nightOnlyLeakFrom: 22)
        let state = try Self.daily(leaking, initial: 100)
        let leaks = state.alerts.values.filter { $0.rule == "meter.waterLeak" }
        #expect(leaks.map(\.raisedOn) == ["2025-04-02"], "\(state.alerts.values.map { "\($0.rule) \($0.raisedOn) \($0.evidence)" })")
        // The night ends at 04:00 local = 02:00 UTC in summer time.
        #expect(leaks.first?.raisedAt == "2025-04-02T02:00:00Z")
        // A 23-hour local day: 92 slots, no gap, no spike.
        #expect(!state.alerts.values.contains { $0.rule == "meter.gap" || $0.rule == "meter.spike" })
    }

    /// Intervals a gateway never sent (a hole between two batches) are missing data: a gap,
    /// and the day says nothing of consumption.
    @Test func aHoleBetweenBatchesIsAGap() throws {
        var series = Self.water(days: 20)
        let batches = series.batches(chunk: 96)
        series.values = []
        // Day 12 never arrives.
        let events: [any DomainEvent] = [series.installed(initial: 100)] + batches.enumerated().filter { $0.offset != 12 }.map(\.element)
        let state = try Self.run(events)
        let gaps = state.alerts.values.filter { $0.rule == "meter.gap" }
        #expect(gaps.count == 1 && gaps.first?.state == .resolved, "\(gaps)")
        #expect(gaps.first?.raisedAt == "2025-02-15T00:00:00Z")
        #expect(gaps.first?.evidence.contains("96 intervals never sent") == true, "\(gaps.map(\.evidence))")
        #expect(!state.alerts.values.contains { $0.rule == "meter.spike" })
    }

    /// A gas heating meter in the season: heating 05:00–16:00 local on school days, off on
    /// closed days. `weekendOn`: heating left on over one weekend; `nightOn`: one school night
    /// heated until 03:00.
    static func gas(weekendOn: Bool = false, nightOn: Bool = false) -> Series {
        var s = Series(meterId: "SC0001-G1", kind: .gas, usage: .heating, start: DomainTime.date("2025-11-03")!)
        let calendar = rules.schoolCalendar!
        var register = 5000.0
        let first = local(s.start.addingTimeInterval(900), interval: 15).day
        for i in 0..<(35 * 96) {
            let t = s.start.addingTimeInterval(Double(i * 900))
            let (hour, day) = local(t, interval: 15)
            let d = day - first
            let school = calendar.isSchoolDay(day: day)
            var rate = 0.3  // Sm3/h of hot water, always
            if school && hour >= 5 && hour < 16 { rate += 12 + 2 * sin(Double(i)) }
            // Days 26-27 are the weekend of 29-30 November.
            if weekendOn && (d == 26 || d == 27) && hour >= 5 && hour < 23 { rate += 10 + sin(Double(i)) }
            if nightOn && d == 30 && hour < 3 { rate += 10 + sin(Double(i)) }
            register += rate / 4
            s.values.append((register * 1000).rounded() / 1000)
        }
        return s
    }

    /// Issue 16, meters 5: heating out of hours in the season is found, on closed days and at
    /// night; a normal season raises nothing.
    @Test func heatingOutOfHoursInSeason() throws {
        let quiet = Self.gas()
        let none = try Self.run([quiet.installed(initial: 5000)] + quiet.batches(chunk: 96))
        #expect(none.alerts.isEmpty, "\(none.alerts.values.map(\.evidence))")

        let weekend = Self.gas(weekendOn: true)
        var state = try Self.run([weekend.installed(initial: 5000)] + weekend.batches(chunk: 96))
        var alerts = state.alerts.values.filter { $0.rule == "meter.outOfHours" }
        #expect(alerts.map(\.raisedOn) == ["2025-11-29"], "\(state.alerts.values.map { "\($0.rule) \($0.raisedOn) \($0.evidence)" })")
        #expect(alerts.first?.evidence.contains("on a closed day") == true)
        // Kept firing one clean day (Monday is the first: keepFiringDays 1), resolved on Tuesday.
        #expect(alerts.first?.state == .resolved && alerts.first?.resolvedOn == "2025-12-02", "\(alerts)")

        let night = Self.gas(nightOn: true)
        state = try Self.run([night.installed(initial: 5000)] + night.batches(chunk: 96))
        alerts = state.alerts.values.filter { $0.rule == "meter.outOfHours" }
        #expect(alerts.map(\.raisedOn) == ["2025-12-03"], "\(state.alerts.values.map { "\($0.rule) \($0.raisedOn) \($0.evidence)" })")
        #expect(alerts.first?.evidence.contains("outside 05:00–23:00") == true)
    }

    /// A spike is an interval that stands out on both sides: a load that steps up at midnight
    /// and stays is none (before, the last slot of a day had no right-hand neighbours), and a
    /// burst in the day's last hour is found once the next day comes.
    @Test func aSpikeStandsOutOnBothSidesEvenAtMidnight() throws {
        func series(_ extra: (Int, Double) -> Double) -> Series {
            var s = Series(meterId: "SC0001-E1", kind: .electricity, usage: .general, interval: 60, start: DomainTime.date("2025-02-03")!)
            var register = 1000.0
            let first = Self.local(s.start.addingTimeInterval(3600), interval: 60).day
            for i in 0..<(40 * 24) {
                let (hour, day) = Self.local(s.start.addingTimeInterval(Double(i * 3600)), interval: 60)
                // A building at rest (the summer closure): a flat base load.
                register += 8 * (1 + 0.05 * sin(Double(i))) + extra(day - first, hour)
                s.values.append((register * 100).rounded() / 100)
            }
            return s
        }
        // From local day 30 at 23:00 the night load quadruples and stays.
        let step = series { d, h in d > 30 || (d == 30 && h >= 23) ? 24 : 0 }
        var state = try Self.run([step.installed(initial: 1000)] + step.batches(chunk: 24))
        #expect(!state.alerts.values.contains { $0.rule == "meter.spike" }, "\(state.alerts.values.map(\.evidence))")
        // One hour, local day 30 23:00–24:00 (the reading at 23:00 UTC), far above the base load.
        let burst = series { d, h in d == 30 && h >= 23 ? 300 : 0 }
        state = try Self.run([burst.installed(initial: 1000)] + burst.batches(chunk: 24))
        let spikes = state.alerts.values.filter { $0.rule == "meter.spike" }
        #expect(spikes.map(\.raisedAt) == ["2025-03-05T23:00:00Z"], "\(state.alerts.values.map(\.evidence))")
    }

    /// Brief §1.1: identical non-zero deltas for 6 h are a stuck register too (a gateway
    /// sending an estimate); a night's trickle at the register's resolution is not.
    @Test func aRegisterAdvancingByTheSameStepIsStuck() throws {
        func series(estimateOn: Int?, nightBase: Double = 0.01) -> Series {
            var s = Series(meterId: "SC0001-E1", kind: .electricity, usage: .general, start: DomainTime.date("2025-02-03")!)
            var register = 1000.0
            for i in 0..<(40 * 96) {
                let d = i / 96
                // 4–40 kWh an hour with noise; a night's base of exactly 0.01 kWh a quarter hour.
                let hour = (i % 96) / 4
                var c = hour < 6 ? nightBase : 1 + 9 * abs(sin(Double(i) / 7)) + 0.3 * sin(Double(i) * 1.7)
                if d == estimateOn { c = 3 }
                register += c
                s.values.append((register * 100).rounded() / 100)
            }
            return s
        }
        let honest = series(estimateOn: nil)
        #expect(try Self.daily(honest, initial: 1000).alerts.isEmpty)
        // A steady base load held by a controller (exactly 2 kWh a quarter every night) repeats
        // in the same hours every week: history says the value is constant there (v3 took it
        // for an estimate each night).
        let steady = series(estimateOn: nil, nightBase: 2)
        let v3 = try RuleSetLoader.load(MeterRules.self, name: "meters", version: 3, directory: Paths.rules)
        #expect(
            try Self.run([steady.installed(initial: 1000)] + steady.batches(chunk: 96), rules: v3).alerts.values.contains { $0.rule == "meter.stuck" }
        )
        #expect(try Self.daily(steady, initial: 1000).alerts.isEmpty)
        let state = try Self.daily(series(estimateOn: 30), initial: 1000)
        let stuck = state.alerts.values.filter { $0.rule == "meter.stuck" }
        #expect(stuck.count == 1, "\(state.alerts.values.map(\.evidence))")
        // Its night's base repeats at rest (0.01 kWh a quarter, below the counted rate), and no
        // electrical load holds to the last digit for hours (v4: constantAtRestKinds), so the
        // estimate counts from its first interval.
        #expect(
            stuck.first?.evidence.hasPrefix(
                "register advancing by exactly 3.000 kWh every 15 min for 6 h (since 2025-03-05T00:00:00Z, 6 h of it in hours of the week where")
                == true, "\(stuck.map(\.evidence))")
        #expect(stuck.first?.state == .resolved && stuck.first?.resolution?.hasPrefix("interval values vary again") == true)
        // The estimated day tells the consumption detectors nothing.
        #expect(state.alerts.values.allSatisfy { $0.rule == "meter.stuck" })
    }

    /// Brief §1.1: identical values are stuck only in the hours of the week where history says
    /// they always vary. A school's hourly water meter rests at night and over the weekend, so
    /// a steady 60 L/h leak there advances the register by exactly 0.060 m³ an hour: that is the
    /// leak rule's, not a gateway's estimate (v3 raised both). An estimate that runs into school
    /// hours is still stuck.
    @Test func aSteadyLeakWhereTheMeterRestsIsNotAnEstimate() throws {
        // Local day 32 is Thursday 2025-03-07: the leak runs through the weekend.
        let leaking = Self.water(days: 42, interval: 60, leakFrom: 32, leak: 0.06, trickle: false)
        let events: [any DomainEvent] = [leaking.installed(initial: 100)] + leaking.batches(chunk: 24)
        let v3 = try Self.run(events, rules: RuleSetLoader.load(MeterRules.self, name: "meters", version: 3, directory: Paths.rules))
        #expect(v3.alerts.values.contains { $0.rule == "meter.stuck" }, "v3 took the leak for an estimate")
        let state = try Self.run(events)
        #expect(!state.alerts.values.contains { $0.rule == "meter.stuck" }, "\(state.alerts.values.map(\.evidence))")
        #expect(state.alerts.values.filter { $0.rule == "meter.waterLeak" }.count == 1, "\(state.alerts.values.map(\.evidence))")

        // Local day 35 is Monday 2025-03-10: 0.5 m³ every hour from midnight. The night's hours
        // rest (zero after zero), so the run counts from 08:00 and fires six hours later.
        let estimated = Self.water(days: 42, interval: 60, trickle: false, estimateOn: 35)
        let alerts = try Self.run([estimated.installed(initial: 100)] + estimated.batches(chunk: 24)).alerts.values
        let stuck = alerts.filter { $0.rule == "meter.stuck" }
        #expect(stuck.count == 1, "\(alerts.map(\.evidence))")
        #expect(stuck.first?.raisedAt == "2025-03-10T12:00:00Z", "\(stuck.map(\.evidence))")
    }

    /// The plain loop (issue 16, meters 8) leaves the state that checking every reading leaves,
    /// on the series that exercise it: night zeros, leaks, an estimate, a register that freezes
    /// during school hours (its alert fires inside a plain batch, whose rest is then checked).
    @Test func thePlainLoopMatchesTheCheckedOne() throws {
        var frozen = Self.water(days: 40)
        let from = 30 * 96 + 40  // day 30, 10:00 UTC: school hours
        for i in from..<(from + 96) { frozen.values[i] = frozen.values[from - 1] }
        for i in (from + 96)..<frozen.values.count { frozen.values[i] = frozen.values[i]! - (frozen.values[from + 95]! - frozen.values[from - 1]!) }
        let cases: [(String, Series, Int)] = [
            ("leak", Self.water(days: 40, leakFrom: 30), 96),
            ("hourly leak", Self.water(days: 42, interval: 60, leakFrom: 32, leak: 0.06, trickle: false), 24),
            ("estimate", Self.water(days: 42, interval: 60, trickle: false, estimateOn: 35), 37), ("frozen", frozen, 96),
            ("frozen in odd chunks", frozen, 37),
        ]
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        for (name, series, chunk) in cases {
            let events: [any DomainEvent] = [series.installed(initial: 100)] + series.batches(chunk: chunk)
            var checked = MeterProjection(rules: Self.rules)
            checked.plainRuns = false
            var plainFeeder = Feeder(MeterProjection(rules: Self.rules))
            var checkedFeeder = Feeder(checked)
            for e in events {
                try plainFeeder.feed(e)
                try checkedFeeder.feed(e)
            }
            #expect(try enc.encode(plainFeeder.state) == enc.encode(checkedFeeder.state), "\(name)")
            if name.hasPrefix("frozen") {
                #expect(plainFeeder.state.alerts.values.contains { $0.rule == "meter.stuck" }, "\(name)")
            }
        }
    }

    /// The hour-of-week history learns repeats by local hour and keeps four weeks of them; a
    /// snapshot writes it as hex and reads it back the same, and refuses a damaged one.
    @Test func theHourOfWeekHistory() throws {
        var h = HourOfWeekConstancy()
        let monday = LocalClock.dayNumber(year: 2025, month: 3, day: 10)
        // Hourly values: 00–07 at rest (0), 08–15 varying, 16–23 a counted repeat (0.5).
        let values = (0..<24).map { i in i < 8 ? 0 : i < 16 ? Double(i) / 10 : 0.5 }
        h.learn(day: monday, open: true, values: values, least: 0.05) { $0 }
        let slot = { (hour: Int) in HourOfWeekConstancy.index(day: monday, hour: hour, open: true) }
        #expect(h.history(slot(3), weeks: 4, minWeeks: 1).map { [$0.counted, $0.atRest] } == [false, true])
        #expect(h.history(slot(10), weeks: 4, minWeeks: 1).map { [$0.counted, $0.atRest] } == [false, false])
        #expect(h.history(slot(20), weeks: 4, minWeeks: 1).map { [$0.counted, $0.atRest] } == [true, false])
        #expect(h.history(slot(0), weeks: 4, minWeeks: 1) == nil, "the day's first hour has nothing to compare with")
        #expect(h.history(slot(10), weeks: 4, minWeeks: 2) == nil, "seen once")
        // Four varying weeks later the repeat of week one is forgotten.
        for week in 1...4 { h.learn(day: monday + 7 * week, open: true, values: (0..<24).map { Double($0) }, least: 0.05) { $0 } }
        #expect(h.history(slot(20), weeks: 4, minWeeks: 2).map { [$0.counted, $0.atRest] } == [false, false])
        #expect(h.history(slot(20), weeks: 1, minWeeks: 2).map { [$0.counted, $0.atRest] } == [false, false])
        // A closed Monday (a holiday) teaches the closed days' hours, not Monday's.
        h.learn(day: monday + 35, open: false, values: Array(repeating: 0, count: 24), least: 0.05) { $0 }
        #expect(h.history(slot(10), weeks: 4, minWeeks: 2).map { [$0.counted, $0.atRest] } == [false, false])
        #expect(
            h.history(HourOfWeekConstancy.index(day: monday, hour: 10, open: false), weeks: 4, minWeeks: 1).map { [$0.counted, $0.atRest] }
                == [false, true])
        h.countedRepeats = 7
        let data = try JSONEncoder().encode(h)
        #expect(try JSONDecoder().decode(HourOfWeekConstancy.self, from: data) == h)
        var damaged = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        damaged["slots"] = "zz" + String((damaged["slots"] as! String).dropFirst(2))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(HourOfWeekConstancy.self, from: JSONSerialization.data(withJSONObject: damaged))
        }
    }

    /// The asset view says where a meter's data stands and which detectors are not at rest.
    @Test func theAssetViewExplainsAMeter() throws {
        var series = Self.water(days: 40, leakFrom: 30)
        // Ten more readings: with the three of 23:15–23:45 UTC, thirteen slots of the local day.
        let last = try #require(series.values.last ?? nil)
        series.values.append(contentsOf: (1...10).map { ((last + 0.01 * Double($0)) * 1000).rounded() / 1000 })
        let state = try Self.run([series.installed(initial: 100)] + series.batches(chunk: 96))
        let why = MeterProjection.explain(try #require(state.meters["SC0001-W1"]))
        #expect(why.first?.hasPrefix("last reading ") == true && why.first?.hasSuffix("; 40 local days judged") == true, "\(why)")
        #expect(why.contains { $0 == "2025-03-15 open: 13 of 96 slots read" }, "\(why)")
        #expect(why.contains { $0.hasPrefix("leak: firing (meter-SC0001-W1.waterLeak.") }, "\(why)")
    }

    /// Issue 16, meters 7: one lifecycle value, the same for every detector.
    @Test func theLifecycleIsAValue() {
        var p = DetectorPhase.inactive
        #expect(p.step(breach: true, clear: false, pendingFor: 2, keepFiringFor: 1) == .none)
        #expect(p == .pending(count: 1))
        // A pending breach that does not hold restarts.
        #expect(p.step(breach: false, clear: false, pendingFor: 2, keepFiringFor: 1) == .none)
        #expect(p == .inactive)
        _ = p.step(breach: true, clear: false, pendingFor: 2, keepFiringFor: 1)
        #expect(p.step(breach: true, clear: false, pendingFor: 2, keepFiringFor: 1) == .raise)
        p.fired("a1")
        // Between trigger and re-arm: holds (hysteresis).
        #expect(p.step(breach: false, clear: false, pendingFor: 2, keepFiringFor: 1) == .none)
        #expect(p == .firing(alert: "a1"))
        // Clear once: resolving, still firing; a relapse returns to firing.
        #expect(p.step(breach: false, clear: true, pendingFor: 2, keepFiringFor: 1) == .none)
        #expect(p == .resolving(alert: "a1", count: 1) && p.alert == "a1")
        _ = p.step(breach: true, clear: false, pendingFor: 2, keepFiringFor: 1)
        #expect(p == .firing(alert: "a1"))
        // Clear twice (keep firing one): resolved.
        _ = p.step(breach: false, clear: true, pendingFor: 2, keepFiringFor: 1)
        #expect(p.step(breach: false, clear: true, pendingFor: 2, keepFiringFor: 1) == .resolve("a1"))
        #expect(p.isInactive)
    }
}
