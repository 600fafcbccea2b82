import Foundation

/// The reference data set of the whole metropolitan city, generated deterministically from a
/// seed and streamed in time order: histories of 517 bridges and 703 waste sites, and ~250
/// school buildings with 4 meters each at 15-minute intervals, with injected anomalies whose
/// ground truth is reported separately.
///
/// Memory stays flat in the number of days: readings are produced one day at a time.
public struct CityGenerator: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64
        /// Days of meter readings, ending at `end`.
        public var days: Int
        public var bridges = 517
        public var wasteSites = 703
        public var buildings = 250
        /// End of the data set (exclusive): fixed, so a seed always gives the same data.
        public var end = DomainTime.date("2026-01-01")!

        public init(seed: UInt64, days: Int) {
            self.seed = seed
            self.days = days
        }

        public var start: Date { end.addingTimeInterval(-86400 * Double(days)) }
    }

    /// One generated submission: what `presidio submit KIND` would receive.
    public struct Item: Sendable {
        public var kind: String
        public var event: any DomainEvent
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    /// Streams every event in time order to `emit`, and every ground-truth entry to `truth`.
    public func run(emit: (Item) async throws -> Void, truth: (GroundTruth) async throws -> Void) async throws {
        let o = options
        var planTruth: [GroundTruth] = []
        var scheduled = BridgeHistory.make(count: o.bridges, seed: o.seed, end: o.end, truth: &planTruth)
        scheduled += WasteSiteHistory.make(count: o.wasteSites, seed: o.seed, end: o.end, truth: &planTruth)
        var buildings = planBuildings(truth: &planTruth)
        let setupDay = o.start.addingTimeInterval(-86400)
        for b in buildings {
            scheduled.append(.init(day: setupDay.addingTimeInterval(-86400), kind: "building", event: b.registered))
            for m in b.meters { scheduled.append(.init(day: setupDay, kind: "meter-installation", event: m.installed)) }
        }
        for (kind, price) in [(MeterKind.electricity, 0.28), (.gas, 1.05), (.districtHeat, 0.14), (.water, 1.35)] {
            scheduled.append(
                .init(
                    day: DomainTime.date("2018-01-01")!, kind: "tariff",
                    event: TariffSet(kind: kind, observedAt: "2018-01-01", pricePerUnitEUR: price)))
        }
        // Stable order: by day, then by kind of creation before updates, then generation order.
        let order: [String: Int] = ["tariff": 0, "bridge-census": 1, "wastesite": 1, "building": 1, "meter-installation": 2]
        scheduled = scheduled.enumerated().sorted { a, b in
            if a.element.day != b.element.day { return a.element.day < b.element.day }
            let ka = order[a.element.kind] ?? 3
            let kb = order[b.element.kind] ?? 3
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
        for t in planTruth.sorted(by: { $0.from < $1.from }) { try await truth(t) }

        var next = 0
        var weather = 0.0
        var weatherRng = SeededRandom(seed: o.seed, label: "weather")
        let clock = Self.clock
        let firstLocal = firstLocalDay
        // School days and the season by local day (a UTC day spans two local days).
        let facts = (-1...(o.days + 1)).map(localDayFacts)
        let lookup: (Int) -> LocalDayFacts = { facts[max(0, min(facts.count - 1, $0 - firstLocal + 1))] }
        for d in 0..<o.days {
            let dayStart = o.start.addingTimeInterval(86400 * Double(d))
            let dayEnd = dayStart.addingTimeInterval(86400)
            while next < scheduled.count && scheduled[next].day < dayEnd {
                try await emit(Item(kind: scheduled[next].kind, event: scheduled[next].event))
                next += 1
            }
            weather = 0.7 * weather + 1.6 * weatherRng.gaussian()
            var dayTruth: [GroundTruth] = []
            for b in buildings.indices {
                for m in buildings[b].meters.indices {
                    let batches = buildings[b].meters[m].day(d, start: dayStart, clock: clock, facts: lookup, weather: weather, truth: &dayTruth)
                    for readings in batches { try await emit(Item(kind: "meter-readings", event: readings)) }
                }
            }
            for t in dayTruth { try await truth(t) }
        }
        // What the gateways still hold goes out with the last day.
        for b in buildings.indices {
            for m in buildings[b].meters.indices {
                if let readings = buildings[b].meters[m].flush() { try await emit(Item(kind: "meter-readings", event: readings)) }
            }
        }
        while next < scheduled.count {
            try await emit(Item(kind: scheduled[next].kind, event: scheduled[next].event))
            next += 1
        }
    }

    /// The meters' local time (school hours, heating hours, the season).
    static let clock = LocalClock.named("Europe/Rome")!

    /// The local day of the data set's first day.
    var firstLocalDay: Int { Self.clock.local(Int64(options.start.timeIntervalSince1970) + 43_200).day }

    /// The local days of the data set as `LocalDayFacts` indices see them.
    func localDayFacts(_ index: Int) -> LocalDayFacts {
        let day = firstLocalDay + index
        let c = LocalClock.civil(day)
        return LocalDayFacts(
            schoolDay: SchoolCalendar.isSchoolDay(year: c.year, month: c.month, day: c.day, weekday: LocalClock.weekday(day)),
            heatingSeason: SchoolCalendar.isHeatingSeason(month: c.month, day: c.day), index: index)
    }

    func planBuildings(truth: inout [GroundTruth]) -> [BuildingSim] {
        let o = options
        let towns = Municipalities.all
        let install = o.start.addingTimeInterval(-86400)
        // The data set's local days, worked out once for every meter's plan.
        let facts = (0..<o.days).map(localDayFacts)
        var out: [BuildingSim] = []
        for n in 0..<o.buildings {
            let id = String(format: "SC%04d", n + 1)
            var r = SeededRandom(seed: o.seed, label: "building-\(id)")
            let town = r.weighted(towns.map { ($0, $0.weight) })
            let area = (r.range(1500...12000)).rounded()
            let heating = r.weighted([(HeatingType.gas, 55.0), (.districtHeat, 35), (.heatPump, 10)])
            let registered = BuildingRegistered(
                buildingId: id, observedAt: DomainTime.dayString(install.addingTimeInterval(-86400)),
                name: "\(r.pick(["Liceo", "Istituto Tecnico", "IIS", "Istituto Professionale", "Liceo Artistico"])) \(n + 1) di \(town.name)",
                institute: "Istituto \(n / 2 + 1)", address: "Via Scuole \(r.int(1...120)), \(town.name)", municipality: town.name,
                location: GeoPoint(
                    lat: ((town.lat + r.range(-0.01...0.01)) * 1e5).rounded() / 1e5, lon: ((town.lon + r.range(-0.012...0.012)) * 1e5).rounded() / 1e5
                ),
                floorAreaM2: area, heating: heating)
            var roles: [(MeterSim.Role, MeterKind, String)] = [
                (.mainElectricity, .electricity, "E1"), (.secondaryElectricity, .electricity, "E2"), (.water, .water, "W1"),
            ]
            switch heating {
            case .gas: roles.append((.gas, .gas, "G1"))
            case .districtHeat: roles.append((.districtHeat, .districtHeat, "H1"))
            default: roles.append((.heatPump, .electricity, "E3"))
            }
            var meters: [MeterSim] = []
            for (role, kind, suffix) in roles {
                let meterId = "\(id)-\(suffix)"
                var mr = SeededRandom(seed: o.seed, label: "meter-\(meterId)")
                let digits = kind == .water ? 6 : 7
                let max = pow(10, Double(digits))
                // ~1 % of registers start close to their maximum, so they roll over.
                let nearMax = mr.chance(0.012)
                let initial = nearMax ? (max - mr.range(50...400)) : (mr.range(100...(max / 20)) * 100).rounded() / 100
                // The gateway's habits: a fifth of the meters are hourly; most send a day at a
                // time, others half a day, two or three days, or 37 readings; some clocks read
                // a few minutes past the quarter hour.
                let interval = mr.chance(0.2) ? 60 : 15
                let perDay = 24 * 60 / interval
                let chunk = mr.weighted([(perDay, 5.0), (perDay / 2, 1), (perDay * 2, 1), (perDay * 3, 1), (37 * 15 / interval, 1)])
                let phase = mr.chance(0.15) ? 60 * mr.int(1...9) : 0
                let installed = MeterInstalled(
                    meterId: meterId, buildingId: id, observedAt: DomainTime.timestampString(install), kind: kind, unit: kind.unit,
                    registerDigits: digits, multiplier: 1, intervalMinutes: interval, initialReading: (initial * 100).rounded() / 100,
                    usage: role == .mainElectricity ? .general : role == .secondaryElectricity ? .auxiliary : role == .water ? .water : .heating)
                var m = MeterSim(
                    installed: installed, role: role, floorArea: area, register: installed.initialReading, lastReported: installed.initialReading,
                    rng: mr, scale: mr.range(0.7...1.3), chunk: chunk, phase: phase)
                plan(&m, rng: &mr, facts: facts)
                let firstLocal = firstLocalDay
                truth += m.plannedTruth(
                    dayStart: { o.start.addingTimeInterval(86400 * Double($0)) },
                    localStart: { Date(timeIntervalSince1970: Double(Self.clock.midnight(firstLocal + $0))) })
                meters.append(m)
            }
            out.append(BuildingSim(registered: registered, meters: meters))
        }
        return out
    }

    /// Decides which anomalies a meter will show, and when: every kind on every meter where it
    /// can happen, at any time of the year (issue 16, meters 9). Day-long anomalies are planned
    /// on local days of the data set.
    func plan(_ m: inout MeterSim, rng r: inout SeededRandom, facts: [LocalDayFacts]) {
        let days = options.days
        guard days >= 7 else { return }
        // Anomalies start after two weeks: a detector needs some history before it can tell.
        let first = min(15, days / 2)
        func window(_ length: ClosedRange<Int>, from: Int? = nil) -> (Int, Int) {
            let lower = from ?? first
            let len = max(1, min(days - lower - 1, r.int(length)))
            let a = r.int(lower...max(lower, days - len - 1))
            return (a, a + len - 1)
        }
        let perReading = m.slotsPerReading
        /// Physical maxima per hour (the same school supplies the rule set assumes).
        let maxPerHour: Double = [MeterKind.electricity: 1500, .districtHeat: 3000, .gas: 300, .water: 30][m.installed.kind] ?? 1e9
        switch m.role {
        case .water:
            if r.chance(0.08) {
                let (a, b) = window(3...20)
                m.leak = (a, b, r.range(0.02...0.06))
            } else if r.chance(0.03) {
                // A stuck water meter shows only while water should flow: from a school day.
                let schoolDays = (first..<(days - 1)).filter { facts[$0].schoolDay }
                if let a = schoolDays.isEmpty ? nil : schoolDays[r.int(0...(schoolDays.count - 1))] { m.stuck = (a, min(days - 1, a + r.int(0...2))) }
            }
        case .mainElectricity, .secondaryElectricity:
            if r.chance(0.03) { m.stuck = window(1...3) }
            if m.stuck == nil {
                if r.chance(0.04) && days >= 70 {
                    // Drift can start once the detector has its reference (three weeks), on the
                    // general supply or an auxiliary one (a gym's, a kitchen's).
                    m.drift = (r.int(22...(days - 45)), r.int(20...40), r.range(0.25...0.45))
                } else if m.role == .mainElectricity && r.chance(0.05) && days >= 30 {
                    m.outOfHours = offHours(facts, from: 21, rng: &r)
                }
            }
        case .gas, .districtHeat, .heatPump:
            let outside = (first..<(days - 1)).filter { !facts[$0].heatingSeason }
            let inside = (0..<(days - 1)).filter { facts[$0].heatingSeason }
            if r.chance(0.05) && outside.count > 12 {
                let a = outside[r.int(0...(outside.count - 11))]
                let b = a + r.int(2...8)
                if b < days && facts[b].heatingSeason == false { m.outOfSeason = (a, b) }
            } else if r.chance(0.06), inside.count > 30 {
                // Three weeks of the season first: the detector learns the nights and weekends.
                m.outOfHours = offHours(facts, from: inside[21], rng: &r)
                if let o = m.outOfHours, !(o.start...o.end).allSatisfy({ facts[$0].heatingSeason }) { m.outOfHours = nil }
            }
        }
        // Any meter's gateway may get stuck sending an estimate, the same delta every interval
        // (the register climbs in a straight line): a frozen register is the other way.
        if m.stuck == nil && r.chance(0.015) {
            m.stuck = window(1...2)
            m.stuckRepeats = true
        }
        if r.chance(0.04) {
            let factor = r.range(5...8).rounded()
            if m.nominalPeak * Double(perReading) * factor <= 0.8 * maxPerHour * Double(perReading) / 4 {
                m.spikes.append((r.int(first...(days - 1)), r.int(28...70) / perReading * perReading, factor))
            }
        }
        if r.chance(0.01) { m.swapDay = r.int(2...(days - 2)) }
        if r.chance(0.05) {
            for _ in 0..<r.int(1...3) {
                if perReading == 1 {
                    m.gaps.append((r.int(1...(days - 1)), r.int(0...80), r.int(8...15)))
                } else {
                    m.gaps.append((r.int(1...(days - 1)), r.int(0...14) * 4, r.int(4...10) * 4))
                }
            }
        }
        // Keep anomalies apart so each has a clean ground truth (two gaps of a day an hour apart
        // at least, or they are one gap).
        var kept: [(day: Int, start: Int, length: Int)] = []
        for g in m.gaps where !kept.contains(where: { $0.day == g.day && g.start < $0.start + $0.length + 4 && $0.start < g.start + g.length + 4 }) {
            kept.append(g)
        }
        m.gaps = kept
        if let s = m.stuck { m.gaps.removeAll { $0.day >= s.start - 1 && $0.day <= s.end + 1 } }
        if let o = m.outOfHours { m.gaps.removeAll { $0.day >= o.start - 1 && $0.day <= o.end + 1 } }
        if let l = m.leak { m.gaps.removeAll { $0.day >= l.start - 1 && $0.day <= l.end + 1 } }
        m.spikes.removeAll { sp in
            m.gaps.contains { $0.day == sp.day } || m.stuck.map { sp.day >= $0.start && sp.day <= $0.end } == true
                || m.outOfHours.map { sp.day >= $0.start - 1 && sp.day <= $0.end + 1 } == true
        }
        if let s = m.swapDay {
            m.gaps.removeAll { $0.day == s }
            m.spikes.removeAll { $0.day == s }
            if let st = m.stuck, s >= st.start - 1 && s <= st.end + 1 { m.swapDay = nil }
        }
    }

    /// Consumption out of hours from day `from` on: a weekend (or holiday) left running, or
    /// two to four nights. `facts` says which days are open.
    func offHours(_ facts: [LocalDayFacts], from: Int, rng r: inout SeededRandom) -> (start: Int, end: Int, night: Bool)? {
        let days = facts.count
        guard from < days - 3 else { return nil }
        if r.chance(0.5) {
            let closed = (from..<(days - 2)).filter { !facts[$0].schoolDay && ($0 == 0 || facts[$0 - 1].schoolDay) }
            guard !closed.isEmpty else { return nil }
            let a = closed[r.int(0...(closed.count - 1))]
            var b = a
            while b + 1 < days && !facts[b + 1].schoolDay && b - a < 2 { b += 1 }
            return (a, b, false)
        }
        let a = r.int(from...(days - 3))
        return (a, min(days - 2, a + r.int(1...3)), true)
    }
}
