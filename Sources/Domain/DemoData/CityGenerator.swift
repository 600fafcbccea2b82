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
        for d in 0..<o.days {
            let dayStart = o.start.addingTimeInterval(86400 * Double(d))
            let dayEnd = dayStart.addingTimeInterval(86400)
            while next < scheduled.count && scheduled[next].day < dayEnd {
                try await emit(Item(kind: scheduled[next].kind, event: scheduled[next].event))
                next += 1
            }
            let c = DomainTime.calendar.dateComponents([.year, .month, .day, .weekday], from: dayStart)
            let school = SchoolCalendar.isSchoolDay(year: c.year!, month: c.month!, day: c.day!, weekday: c.weekday!)
            let heating = SchoolCalendar.isHeatingSeason(month: c.month!, day: c.day!)
            let doy = DomainTime.calendar.ordinality(of: .day, in: .year, for: dayStart)!
            weather = 0.7 * weather + 1.6 * weatherRng.gaussian()
            var dayTruth: [GroundTruth] = []
            for b in buildings.indices {
                for m in buildings[b].meters.indices {
                    let readings = buildings[b].meters[m].day(
                        d, start: dayStart, schoolDay: school, heatingSeason: heating, weather: weather, dayOfYear: doy, truth: &dayTruth)
                    try await emit(Item(kind: "meter-readings", event: readings))
                }
            }
            for t in dayTruth { try await truth(t) }
        }
        while next < scheduled.count {
            try await emit(Item(kind: scheduled[next].kind, event: scheduled[next].event))
            next += 1
        }
    }

    func planBuildings(truth: inout [GroundTruth]) -> [BuildingSim] {
        let o = options
        let towns = Municipalities.all
        let install = o.start.addingTimeInterval(-86400)
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
                let installed = MeterInstalled(
                    meterId: meterId, buildingId: id, observedAt: DomainTime.timestampString(install), kind: kind, unit: kind.unit,
                    registerDigits: digits, multiplier: 1, intervalMinutes: 15, initialReading: (initial * 100).rounded() / 100,
                    usage: role == .mainElectricity ? .general : role == .secondaryElectricity ? .auxiliary : role == .water ? .water : .heating)
                var m = MeterSim(
                    installed: installed, role: role, floorArea: area, register: installed.initialReading, lastReported: installed.initialReading,
                    rng: mr, scale: mr.range(0.7...1.3))
                plan(&m, rng: &mr)
                truth += m.plannedTruth { o.start.addingTimeInterval(86400 * Double($0)) }
                meters.append(m)
            }
            out.append(BuildingSim(registered: registered, meters: meters))
        }
        return out
    }

    /// Decides which anomalies a meter will show, and when.
    func plan(_ m: inout MeterSim, rng r: inout SeededRandom) {
        let days = options.days
        guard days >= 7 else { return }
        // Anomalies start after two weeks: a detector needs some history before it can tell.
        let first = min(15, days / 2)
        func window(_ length: ClosedRange<Int>) -> (Int, Int) {
            let len = min(days - first - 1, r.int(length))
            let a = r.int(first...max(first, days - len - 1))
            return (a, a + len - 1)
        }
        switch m.role {
        case .water:
            if r.chance(0.08) {
                let (a, b) = window(3...20)
                m.leak = (a, b, r.range(0.02...0.06))
            }
        case .mainElectricity, .secondaryElectricity:
            if r.chance(0.03) {
                let (a, b) = window(1...3)
                m.stuck = (a, b)
            }
            if r.chance(0.03) { m.spikes.append((r.int(first...(days - 1)), r.int(30...70), r.range(6...10).rounded())) }
            if m.role == .mainElectricity && r.chance(0.03) && days >= 75 {  // starts on day 30 or later and needs 45 days after
                m.drift = (r.int(max(first, 30)...(days - 45)), r.int(20...40), r.range(0.25...0.45))
            }
        case .gas, .districtHeat, .heatPump:
            // Heating out of season: only if the data set covers May–September.
            if r.chance(0.05) {
                let candidates = (0..<days).filter { d in
                    let c = DomainTime.calendar.dateComponents([.month], from: options.start.addingTimeInterval(86400 * Double(d)))
                    return [5, 6, 9].contains(c.month!)
                }
                if candidates.count > 12 {
                    let a = candidates[r.int(0...(candidates.count - 11))]
                    m.outOfSeason = (a, a + r.int(3...9))
                }
            }
        }
        if r.chance(0.01) { m.swapDay = r.int(2...(days - 2)) }
        if r.chance(0.05) {
            for _ in 0..<r.int(1...3) { m.gaps.append((r.int(1...(days - 1)), r.int(0...80), r.int(8...15))) }
        }
        // Keep anomalies apart so each has a clean ground truth.
        if let s = m.stuck { m.gaps.removeAll { $0.day >= s.start && $0.day <= s.end } }
        if let s = m.swapDay { m.gaps.removeAll { $0.day == s }; if let st = m.stuck, s >= st.start && s <= st.end { m.swapDay = nil } }
    }
}
