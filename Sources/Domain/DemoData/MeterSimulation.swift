import Foundation

/// One building with its meters, simulated 15 minutes at a time.
struct BuildingSim {
    var registered: BuildingRegistered
    var meters: [MeterSim]
}

/// What the simulation needs to know of a local day (Europe/Rome).
struct LocalDayFacts {
    var schoolDay: Bool
    var heatingSeason: Bool
    /// Day of the data set (0 = the first) the local day belongs to.
    var index: Int
}

/// A meter's register, its planned anomalies, and its gateway's habits: real gateways send
/// what they have, so the data set holds 15-minute and hourly meters, batches of a day, half a
/// day, two or three days or 37 readings, and clocks a few minutes off the quarter hour
/// (issue 16, meters 9). School hours, heating hours and the season are local time.
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
    /// The gateway: readings per batch (in the meter's own interval), and the seconds its clock
    /// reads after the quarter hour.
    let chunk: Int
    let phase: Int

    /// Anomalies, by day of the data set (local days for the day-long ones).
    var leak: (start: Int, end: Int, m3PerHour: Double)?
    var stuck: (start: Int, end: Int)?
    /// A stuck gateway that sends an estimate (the same delta every interval) instead of freezing
    /// the register.
    var stuckRepeats = false
    var repeatDelta: Double?
    var swapDay: Int?
    var gaps: [(day: Int, start: Int, length: Int)] = []
    var spikes: [(day: Int, index: Int, factor: Double)] = []
    var outOfSeason: (start: Int, end: Int)?
    var drift: (start: Int, ramp: Int, extra: Double)?
    /// Consumption out of hours: heating or lights left on over closed days, or at night.
    var outOfHours: (start: Int, end: Int, night: Bool)?

    /// Readings not sent yet, with their resets, and the time of the first.
    var pending: [Double?] = []
    var pendingResets: [MeterReadingsRecorded.Reset] = []
    var pendingStart: Date?
    /// A reset that happened between two readings an hourly meter reports.
    var unreported: (kind: RegisterReset, slot: Int)?

    var id: String { installed.meterId }
    var stream: String { "meter-\(installed.meterId)" }
    var decimals: Double { installed.unit == "kWh" ? 100 : 1000 }
    var registerMax: Double { pow(10, Double(installed.registerDigits)) }
    /// 15-minute slots per reading: 1, or 4 for an hourly meter.
    var slotsPerReading: Int { installed.intervalMinutes / 15 }

    /// The largest consumption this meter sees in 15 minutes in ordinary use (spikes are sized
    /// on it, so they stand out on every kind of meter).
    var nominalPeak: Double {
        let heatKW = floorArea * 0.0012 * 22 * scale
        switch role {
        case .mainElectricity: return floorArea * 0.008 * 0.25 * scale * 1.2
        case .secondaryElectricity: return floorArea * 0.008 * 0.3 * 0.25 * scale * 1.2
        case .water: return floorArea * 0.00004 * scale * 0.25 * 1.6
        case .gas: return heatKW * 0.25 / (10.5 * 0.9)
        case .districtHeat: return heatKW * 0.25
        case .heatPump: return heatKW * 0.25 / 3.2
        }
    }

    /// Consumption in one 15-minute interval (register units), at local hour `hour`.
    mutating func consumption(day: Int, hour: Double, facts: LocalDayFacts, outdoor: Double) -> Double {
        let occupied = facts.schoolDay && hour >= 7.75 && hour < 16.5
        let offHours =
            outOfHours.map { facts.index >= $0.start && facts.index <= $0.end && ($0.night ? hour < 5 || hour >= 23 : !facts.schoolDay) } ?? false
        var c: Double
        switch role {
        case .mainElectricity, .secondaryElectricity:
            let share = role == .mainElectricity ? 1.0 : 0.3
            var kW = floorArea * (occupied ? 0.008 : 0.0015) * share * scale
            // Lights and ventilation left running.
            if offHours && !occupied { kW = floorArea * 0.0055 * share * scale }
            c = kW * 0.25 * max(0.2, 1 + 0.06 * rng.gaussian())
            if let d = drift, day >= d.start { c *= 1 + d.extra * min(1, Double(day - d.start) / Double(d.ramp)) }
        case .water:
            let m3h = occupied ? floorArea * 0.00004 * scale : (rng.chance(0.7) ? 0 : 0.004)
            c = m3h * 0.25 * max(0, 1 + 0.25 * rng.gaussian())
            if let l = leak, facts.index >= l.start, facts.index <= l.end { c += l.m3PerHour * 0.25 }
        case .gas, .districtHeat, .heatPump:
            // In the season the school heats on school days from 05:00 (warm-up) to 16:30; out
            // of the season only a planned anomaly heats, within the legal hours.
            let offSeason = outOfSeason.map { facts.index >= $0.start && facts.index <= $0.end } ?? false
            let scheduled = facts.heatingSeason && facts.schoolDay && hour >= 5 && hour < 16.5
            let on = scheduled || (offSeason && hour >= 5 && hour < 23) || (facts.heatingSeason && offHours)
            let deltaT = on ? max(0, 20 - outdoor) + (facts.heatingSeason ? 0 : 6) + (offHours ? 4 : 0) : 0
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

    /// One UTC day of 15-minute slots; returns the batches the gateway sends during it.
    mutating func day(
        _ d: Int, start: Date, clock: LocalClock, facts: (Int) -> LocalDayFacts, weather: Double, truth: inout [GroundTruth]
    ) -> [MeterReadingsRecorded] {
        var out: [MeterReadingsRecorded] = []
        let perReading = slotsPerReading
        for i in 0..<96 {
            let stampTime = start.addingTimeInterval(Double(i * 900 + phase))
            // The reading at `stampTime` closes the quarter hour before it.
            let local = clock.local(Int64(stampTime.timeIntervalSince1970) - 900)
            let hour = Double(local.minute) / 60
            let f = facts(local.day)
            let doy = Int(Double(local.day) - Double(LocalClock.dayNumber(year: LocalClock.civil(local.day).year, month: 1, day: 1))) + 1
            var c = consumption(day: d, hour: hour, facts: f, outdoor: SchoolCalendar.outdoor(dayOfYear: doy, hour: hour, weather: weather))
            if let s = spikes.first(where: { $0.day == d && $0.index == i }) {
                c = nominalPeak * Double(perReading) * s.factor
                truth.append(GroundTruth(kind: .spike, stream: stream, from: stamp(start, i), to: nil, detail: "×\(Int(s.factor))"))
            }
            register += c
            if register >= registerMax {
                register -= registerMax
                unreported = (.rollover, i)
            }
            if swapDay == d && i == 40 {
                register = (rng.range(0...5) * decimals).rounded() / decimals
                unreported = (.meterSwap, i)
            }
            // An hourly meter reports on the hour only.
            guard i % perReading == 0 else { continue }
            let resetKind = unreported?.kind
            // Floor to the register resolution (the epsilon keeps 0.29 × 100 from flooring to 28).
            var value = (register * decimals + 1e-6).rounded(.down) / decimals
            if let s = stuck, f.index >= s.start, f.index <= s.end, resetKind == nil {
                if stuckRepeats {
                    // An estimate sent as readings: the meter's average rate, again and again.
                    let step = repeatDelta ?? max(1 / decimals, (nominalPeak * 0.4 * Double(perReading) * decimals).rounded() / decimals)
                    repeatDelta = step
                    value = ((lastReported + step) * decimals).rounded() / decimals
                } else {
                    value = lastReported
                }
                register = value
            }
            if pendingStart == nil { pendingStart = stampTime }
            if gaps.contains(where: { $0.day == d && i >= $0.start && i < $0.start + $0.length }) && resetKind == nil {
                pending.append(nil)
            } else {
                if let k = resetKind {
                    truth.append(
                        GroundTruth(
                            kind: k == .rollover ? .rollover : .counterRegression, stream: stream, from: stamp(start, i), to: nil,
                            detail: k == .rollover ? nil : "register reset to \(value)"))
                    // Real gateways do not always say: half the swaps (by day) come unmarked, as a drop.
                    if k == .rollover || d % 2 == 1 { pendingResets.append(.init(index: pending.count, kind: k)) }
                    unreported = nil
                }
                pending.append(value)
                lastReported = value
            }
            if pending.count >= chunk, let batch = flush() { out.append(batch) }
        }
        return out
    }

    /// The readings not sent yet, as one batch.
    mutating func flush() -> MeterReadingsRecorded? {
        guard let first = pendingStart, !pending.isEmpty else { return nil }
        defer {
            pending = []
            pendingResets = []
            pendingStart = nil
        }
        return MeterReadingsRecorded(
            meterId: id, observedAt: DomainTime.timestampString(first), intervalMinutes: installed.intervalMinutes, readings: pending,
            resets: pendingResets.isEmpty ? nil : pendingResets)
    }

    func stamp(_ start: Date, _ index: Int) -> String {
        DomainTime.timestampString(start.addingTimeInterval(Double(index * 900 + phase)))
    }

    /// Ground truth for anomalies that span days (written once, when planned). `localStart`
    /// gives the UTC instant a local day of the data set starts.
    func plannedTruth(dayStart: (Int) -> Date, localStart: (Int) -> Date) -> [GroundTruth] {
        var out: [GroundTruth] = []
        func span(_ kind: GroundTruth.Kind, _ a: Int, _ b: Int, _ detail: String? = nil) {
            out.append(
                GroundTruth(
                    kind: kind, stream: stream, from: DomainTime.timestampString(localStart(a)),
                    to: DomainTime.timestampString(localStart(b + 1).addingTimeInterval(-1)), detail: detail))
        }
        if let l = leak { span(.waterLeak, l.start, l.end, String(format: "%.0f L/h", l.m3PerHour * 1000)) }
        if let s = stuck { span(.stuckMeter, s.start, s.end, stuckRepeats ? "the same delta every interval" : "frozen") }
        if let o = outOfSeason { span(.heatingOutOfSeason, o.start, o.end) }
        if let o = outOfHours { span(.outOfHours, o.start, o.end, o.night ? "at night" : "on closed days") }
        if let dr = drift {
            out.append(
                GroundTruth(
                    kind: .drift, stream: stream, from: DomainTime.timestampString(dayStart(dr.start)), to: nil,
                    detail: String(format: "+%.0f%% over %d days", dr.extra * 100, dr.ramp)))
        }
        for g in gaps {
            // The first and last readings this meter does not send.
            let step = slotsPerReading
            let firstSlot = (g.start + step - 1) / step * step
            let lastSlot = (g.start + g.length - 1) / step * step
            let a = dayStart(g.day).addingTimeInterval(Double(firstSlot * 900 + phase))
            out.append(
                GroundTruth(
                    kind: .gap, stream: stream, from: DomainTime.timestampString(a),
                    to: DomainTime.timestampString(dayStart(g.day).addingTimeInterval(Double(lastSlot * 900 + phase))),
                    detail: "\((lastSlot - firstSlot) / step + 1) readings"))
        }
        return out
    }
}
