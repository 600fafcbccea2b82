import Foundation

/// One building with its meters, simulated 15 minutes at a time.
struct BuildingSim {
    var registered: BuildingRegistered
    var meters: [MeterSim]
}

/// A meter's register and its planned anomalies.
struct MeterSim {
    enum Role { case mainElectricity, secondaryElectricity, water, gas, districtHeat, heatPump }

    let installed: MeterInstalled
    let role: Role
    let floorArea: Double
    var register: Double
    var lastReported: Double
    var rng: SeededRandom
    /// Consumption scale of this particular meter (buildings differ).
    let scale: Double

    var leak: (start: Int, end: Int, m3PerHour: Double)?
    var stuck: (start: Int, end: Int)?
    var swapDay: Int?
    var gaps: [(day: Int, start: Int, length: Int)] = []
    var spikes: [(day: Int, index: Int, factor: Double)] = []
    var outOfSeason: (start: Int, end: Int)?
    var drift: (start: Int, ramp: Int, extra: Double)?

    var id: String { installed.meterId }
    var stream: String { "meter-\(installed.meterId)" }
    var decimals: Double { installed.unit == "kWh" ? 100 : 1000 }
    var registerMax: Double { pow(10, Double(installed.registerDigits)) }

    /// Consumption in one 15-minute interval (register units).
    mutating func consumption(day: Int, index: Int, occupied: Bool, heating: Bool, outdoor: Double) -> Double {
        let hour = Double(index) / 4
        var c: Double
        switch role {
        case .mainElectricity, .secondaryElectricity:
            let share = role == .mainElectricity ? 1.0 : 0.3
            let kW = floorArea * (occupied ? 0.008 : 0.0015) * share * scale
            c = kW * 0.25 * max(0.2, 1 + 0.06 * rng.gaussian())
            if let d = drift, day >= d.start { c *= 1 + d.extra * min(1, Double(day - d.start) / Double(d.ramp)) }
        case .water:
            let m3h = occupied ? floorArea * 0.00004 * scale : (rng.chance(0.7) ? 0 : 0.004)
            c = m3h * 0.25 * max(0, 1 + 0.25 * rng.gaussian())
            if let l = leak, day >= l.start, day <= l.end { c += l.m3PerHour * 0.25 }
        case .gas, .districtHeat, .heatPump:
            let on = (heating || (outOfSeason.map { day >= $0.start && day <= $0.end } ?? false)) && hour >= 5 && hour < 23
            let deltaT = on ? max(0, 20 - outdoor) + (heating ? 0 : 6) : 0
            let kW = floorArea * 0.0012 * deltaT * scale
            let base = role == .gas ? floorArea * 0.00002 : 0  // hot water
            switch role {
            case .gas: c = (kW * 0.25 / (10.5 * 0.9)) + base * 0.25
            case .districtHeat: c = kW * 0.25
            default: c = kW * 0.25 / 3.2
            }
            c *= max(0, 1 + 0.05 * rng.gaussian())
        }
        return max(0, c)
    }

    /// The day's readings, with the anomalies planned for it.
    mutating func day(_ d: Int, start: Date, schoolDay: Bool, heatingSeason: Bool, weather: Double, dayOfYear: Int, truth: inout [GroundTruth])
        -> MeterReadingsRecorded
    {
        var readings: [Double?] = []
        readings.reserveCapacity(96)
        var resets: [MeterReadingsRecorded.Reset] = []
        for i in 0..<96 {
            let hour = Double(i) / 4
            let occupied = schoolDay && hour >= 7.75 && hour < 16.5
            var c = consumption(
                day: d, index: i, occupied: occupied, heating: heatingSeason,
                outdoor: SchoolCalendar.outdoor(dayOfYear: dayOfYear, hour: hour, weather: weather))
            if let s = spikes.first(where: { $0.day == d && $0.index == i }) {
                c = max(c, floorArea * 0.008 * 0.25) * s.factor
                truth.append(GroundTruth(kind: .spike, stream: stream, from: Self.stamp(start, i), to: nil, detail: "×\(Int(s.factor))"))
            }
            register += c
            var resetKind: RegisterReset?
            if register >= registerMax {
                register -= registerMax
                resetKind = .rollover
                truth.append(GroundTruth(kind: .rollover, stream: stream, from: Self.stamp(start, i), to: nil, detail: nil))
            }
            if swapDay == d && i == 40 {
                register = (rng.range(0...5) * decimals).rounded() / decimals
                resetKind = .meterSwap
                truth.append(
                    GroundTruth(
                        kind: .counterRegression, stream: stream, from: Self.stamp(start, i), to: nil, detail: "register reset to \(register)"))
            }
            // Floor to the register resolution (the epsilon keeps 0.29 × 100 from flooring to 28).
            var value = (register * decimals + 1e-6).rounded(.down) / decimals
            if let s = stuck, d >= s.start, d <= s.end, resetKind == nil {
                value = lastReported
                register = value
            }
            if gaps.contains(where: { $0.day == d && i >= $0.start && i < $0.start + $0.length }) && resetKind == nil {
                readings.append(nil)
                continue
            }
            // Real gateways do not always say: half the swaps (by day) come unmarked, as a drop.
            if let k = resetKind, k == .rollover || d % 2 == 1 { resets.append(.init(index: readings.count, kind: k)) }
            readings.append(value)
            lastReported = value
        }
        return MeterReadingsRecorded(
            meterId: id, observedAt: DomainTime.timestampString(start), intervalMinutes: 15, readings: readings,
            resets: resets.isEmpty ? nil : resets)
    }

    static func stamp(_ start: Date, _ index: Int) -> String {
        DomainTime.timestampString(start.addingTimeInterval(Double(index * 900)))
    }

    /// Ground truth for anomalies that span days (written once, when planned).
    func plannedTruth(dayStart: (Int) -> Date) -> [GroundTruth] {
        var out: [GroundTruth] = []
        func span(_ kind: GroundTruth.Kind, _ a: Int, _ b: Int, _ detail: String? = nil) {
            out.append(
                GroundTruth(
                    kind: kind, stream: stream, from: DomainTime.timestampString(dayStart(a)),
                    to: DomainTime.timestampString(dayStart(b + 1).addingTimeInterval(-1)), detail: detail))
        }
        if let l = leak { span(.waterLeak, l.start, l.end, String(format: "%.0f L/h", l.m3PerHour * 1000)) }
        if let s = stuck { span(.stuckMeter, s.start, s.end) }
        if let o = outOfSeason { span(.heatingOutOfSeason, o.start, o.end) }
        if let dr = drift {
            out.append(
                GroundTruth(
                    kind: .drift, stream: stream, from: DomainTime.timestampString(dayStart(dr.start)), to: nil,
                    detail: String(format: "+%.0f%% over %d days", dr.extra * 100, dr.ramp)))
        }
        for g in gaps {
            let a = dayStart(g.day).addingTimeInterval(Double(g.start * 900))
            out.append(
                GroundTruth(
                    kind: .gap, stream: stream, from: DomainTime.timestampString(a),
                    to: DomainTime.timestampString(a.addingTimeInterval(Double((g.length - 1) * 900))), detail: "\(g.length) readings"))
        }
        return out
    }
}
