import Domain
import Foundation

/// The consumption detectors, run once per local day of a meter when the day closes.
extension MeterProjection {
    /// A closed day as the detectors read it: its slots' consumption and local minutes.
    struct ClosedDay {
        let day: MeterDay
        let values: [Double]
        /// Local minute of the day at which each slot starts (DST days have 92 or 100 slots).
        let minutes: [Int]
        let step: Int64
        let name: String

        /// When the reading that closes slot `i` was taken.
        func readingTime(_ i: Int) -> String {
            DomainTime.timestampString(Date(timeIntervalSince1970: Double(day.start + Int64(i + 1) * step)))
        }
        var end: String { readingTime(values.count - 1) }

        /// Mean hourly consumption over the slots whose local minute satisfies `inside`.
        func hourlyRate(_ inside: (Int) -> Bool) -> Double? {
            var sum = 0.0
            var n = 0
            for (i, m) in minutes.enumerated() where inside(m) {
                sum += values[i]
                n += 1
            }
            return n == 0 ? nil : sum / (Double(n) * Double(step) / 3600)
        }
    }

    func closeDay(_ d: MeterDay, meter m: inout Meter, stream: String, position: UInt64, state s: inout State) {
        m.days += 1
        // A day with missing data says nothing of consumption (no data is not "fine").
        guard !d.deltas.contains(where: { $0 == nil }) else { return }
        let step = Int64(m.interval * 60)
        let values = d.deltas.map { $0 ?? 0 }
        let sameOffset = clock.offset(d.start) == clock.offset(d.start + Int64(values.count) * step - 1)
        let minutes = (0..<values.count).map { i in sameOffset ? i * m.interval : clock.local(d.start + Int64(i) * step).minute }
        let raw = ClosedDay(day: d, values: values, minutes: minutes, step: step, name: LocalClock.dayString(d.day))
        let spikeSlots = spikes(raw, stream: stream, position: position, meter: &m, state: &s)
        let spiked = !spikeSlots.isEmpty
        // The other detectors read the day without its spikes (one burst is not heating out of
        // season, nor a night out of hours): each spike is replaced by its neighbours' level.
        var cleaned = values
        for i in spikeSlots {
            cleaned[i] = (max(0, i - 2)...min(values.count - 1, i + 2)).filter { !spikeSlots.contains($0) }.map { values[$0] }.max() ?? 0
        }
        let day = ClosedDay(day: d, values: cleaned, minutes: minutes, step: step, name: raw.name)
        if m.kind == .water { leak(day, stream: stream, position: position, meter: &m, state: &s) }
        if m.usage == .heating { heating(day, stream: stream, position: position, meter: &m, state: &s) }
        outOfHours(day, stream: stream, position: position, meter: &m, state: &s)
        // A spike or a reset would read as a shift of the day's total: such days do not feed the drift.
        // Nor do days out of hours (told by their own alert) or a stuck register.
        if m.kind == .electricity && m.usage != .heating && !spiked && !d.discontinuity && m.stuck.isInactive && m.outOfHours.isInactive {
            drift(day, stream: stream, position: position, meter: &m, state: &s)
        }
        if m.stuck.isInactive && !spiked {
            m.recentMax.append(values.max() ?? 0)
            if m.recentMax.count > rules.spike.recentDays { m.recentMax.removeFirst(m.recentMax.count - rules.spike.recentDays) }
        }
    }

    /// One interval far above anything the meter did recently, and far above its neighbours
    /// (so a day simply busier than the recent ones is not a spike), and above the kind's
    /// least spike rate. Returns the slots that spiked.
    func spikes(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) -> Set<Int> {
        guard m.days > rules.spike.warmupDays else { return [] }
        let recent = m.recentMax.max() ?? 0
        let least = (rules.spike.minPerHour?[m.kind.rawValue]).map { $0 * Double(m.interval) / 60 }
        guard recent > 0 || least != nil else { return [] }
        let f = rules.spike.factorOverRecentMax
        let threshold = max(f * recent, least ?? 0)
        var found: Set<Int> = []
        for (i, d) in day.values.enumerated() where d > threshold {
            let neighbours = (max(0, i - 2)...min(day.values.count - 1, i + 2)).filter { $0 != i }.map { day.values[$0] }
            guard let nearMax = neighbours.max(), d > f * nearMax else { continue }
            let id = "\(stream).spike.\(day.name).\(i)"
            let against =
                recent > 0
                ? String(format: "%.1f× the largest interval of the last %d days", d / recent, rules.spike.recentDays)
                : "the meter was at rest for the last \(rules.spike.recentDays) days"
            s.raise(
                id, rule: "meter.spike", asset: stream, severity: rules.spike.severity,
                evidence: String(format: "%.3f %@ in %d min at %@: ", d, m.kind.unit, m.interval, day.readingTime(i)) + against,
                ruleSet: ruleSet, advisory: advisory("spike"), on: day.name, at: day.readingTime(i), position: position)
            s.resolve(id, reason: "single interval", on: day.name, position: position)
            found.insert(i)
        }
        return found
    }

    /// Minimum night flow against the recent clean nights (a leak runs day and night).
    func leak(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let q = max(1, 60 / m.interval)
        let a = rules.leak.nightStartHour * 60
        let b = rules.leak.nightEndHour * 60
        let night = day.values.indices.filter { day.minutes[$0] >= a && day.minutes[$0] < b }.map { day.values[$0] }
        guard !night.isEmpty else { return }
        let hours = Double(night.count * m.interval) / 60
        let flow: Double  // L/h
        if rules.leak.nightStatistic == "minimumHour" && night.count >= q {
            // The night's minimum rolling hour: a cistern flush or a caretaker's tap does not
            // count, a leak (which runs all night) does.
            var window = night.prefix(q).reduce(0, +)
            var least = window
            for i in q..<night.count {
                window += night[i] - night[i - q]
                least = min(least, window)
            }
            flow = max(0, least) * 1000
        } else {
            flow = night.reduce(0, +) * 1000 / hours
        }
        if m.nights.count >= 7 {
            let sorted = m.nights.sorted()
            let base = sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * rules.leak.baselinePercentile))]
            let trigger = max(base * (1 + rules.leak.gamma), base + rules.leak.absFloorLitresPerHour)
            let rearm = base + rules.leak.absFloorLitresPerHour / 2  // hysteresis
            let action = m.leak.step(
                breach: flow > trigger, clear: flow <= rearm, pendingFor: rules.leak.pendingNights, keepFiringFor: rules.leak.keepFiringNights)
            switch action {
            case .raise:
                let id = "\(stream).waterLeak.\(day.name)"
                let lossPerDay = (flow - base) * 24 / 1000
                var text = String(format: "%.0f L/h at night against a baseline of %.1f L/h (≈ %.2f m³/day of loss", flow, base, lossPerDay)
                if let price = s.tariffs[MeterKind.water.rawValue] {
                    text += String(format: ", ≈ %.2f €/day at %.2f €/m³)", lossPerDay * price, price)
                } else {
                    text += "; no water tariff recorded)"
                }
                let endOfNight = day.values.indices.last { day.minutes[$0] < b } ?? 0
                s.raise(
                    id, rule: "meter.waterLeak", asset: stream, severity: rules.leak.severity, evidence: text, ruleSet: ruleSet,
                    advisory: advisory("leak"), on: day.name, at: day.readingTime(endOfNight), position: position)
                m.leak.fired(AlertText.id(id))
            case .resolve(let id):
                s.resolve(id, reason: String(format: "night flow back to %.1f L/h", flow), on: day.name, position: position)
            case .none: break
            }
        }
        // Only clean nights enter the baseline, so a leak cannot become the new normal.
        if m.leak.isInactive {
            m.nights.append(flow)
            if m.nights.count > rules.leak.baselineNights { m.nights.removeFirst(m.nights.count - rules.leak.baselineNights) }
        }
    }

    /// Heat or gas for heating outside the heating season (by the local date).
    func heating(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let c = LocalClock.civil(day.day.day)
        guard !rules.inSeason(month: c.month, day: c.day) else {
            if let id = m.heating.reset() { s.resolve(id, reason: "heating season started", on: day.name, position: position) }
            return
        }
        let total = day.values.reduce(0, +)
        let area = s.floorArea[m.buildingId] ?? 1000
        let sorted = m.offSeason.sorted()
        let base = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let trigger = max(base * rules.heatingOutOfSeason.factorOverBaseline, rules.heatingOutOfSeason.absFloorPerM2 * area)
        switch m.heating.step(breach: total > trigger, clear: total <= trigger, pendingFor: rules.heatingOutOfSeason.pendingDays, keepFiringFor: 0) {
        case .raise:
            let id = "\(stream).heatingOutOfSeason.\(day.name)"
            s.raise(
                id, rule: "meter.heatingOutOfSeason", asset: stream, severity: rules.heatingOutOfSeason.severity,
                evidence: String(format: "%.1f %@ on %@, outside the heating season (normal: %.1f)", total, m.kind.unit, day.name, base),
                ruleSet: ruleSet, advisory: advisory("heatingOutOfSeason"), on: day.name, at: day.end, position: position)
            m.heating.fired(AlertText.id(id))
        case .resolve(let id):
            s.resolve(id, reason: String(format: "back to %.1f %@ a day", total, m.kind.unit), on: day.name, position: position)
        case .none: break
        }
        if m.heating.isInactive && total <= trigger {
            m.offSeason.append(total)
            if m.offSeason.count > rules.heatingOutOfSeason.baselineDays {
                m.offSeason.removeFirst(m.offSeason.count - rules.heatingOutOfSeason.baselineDays)
            }
        }
    }
}
