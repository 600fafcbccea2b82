import Domain
import Foundation

/// The consumption detectors, run once per local day of a meter when the day closes.
extension MeterProjection {
    /// A closed day as the detectors read it: its slots' consumption and local minutes.
    struct ClosedDay {
        let day: MeterDay
        let values: [Double]
        /// Local minute of the day at which each slot starts, on a DST day (92 or 100 slots);
        /// empty on other days, whose slot i starts at minute i · interval.
        let shiftedMinutes: [Int]
        let step: Int64
        /// `YYYY-MM-DD` of the local day, for alert ids and texts (formatted only when one is
        /// written: a day of a meter that raises nothing needs none).
        var name: String { LocalClock.dayString(day.day) }

        @inline(__always)
        func minute(_ i: Int) -> Int { shiftedMinutes.isEmpty ? i * Int(step / 60) : shiftedMinutes[i] }

        /// When the reading that closes slot `i` was taken.
        func readingTime(_ i: Int) -> String {
            MeterProjection.stamp(day.start + Int64(i + 1) * step)
        }
        var end: String { readingTime(values.count - 1) }

        /// Mean hourly consumption over the slots that start at local minutes `from..<to`, or
        /// (`outside`) at any other minute. On a day without a clock change these slots are one
        /// or two runs of indices, summed without asking each slot its minute; the sum runs in
        /// slot order either way, so the result is the same to the last bit.
        func hourlyRate(from: Int, to: Int, outside: Bool = false) -> Double? {
            guard shiftedMinutes.isEmpty else {
                return hourlyRate { outside ? ($0 < from || $0 >= to) : ($0 >= from && $0 < to) }
            }
            let perSlot = Int(step / 60)
            func firstSlot(atOrAfter minute: Int) -> Int { minute <= 0 ? 0 : min(values.count, (minute + perSlot - 1) / perSlot) }
            let a = firstSlot(atOrAfter: from)
            let b = max(a, firstSlot(atOrAfter: to))
            var sum = 0.0
            var n = 0
            values.withUnsafeBufferPointer { v in
                if outside {
                    for i in 0..<a { sum += v[i] }
                    for i in b..<v.count { sum += v[i] }
                    n = a + v.count - b
                } else {
                    for i in a..<b { sum += v[i] }
                    n = b - a
                }
            }
            return n == 0 ? nil : sum / (Double(n) * Double(step) / 3600)
        }

        /// Mean hourly consumption over the slots whose local minute satisfies `inside`.
        @inline(__always)
        func hourlyRate(_ inside: (Int) -> Bool) -> Double? {
            var sum = 0.0
            var n = 0
            for i in values.indices where inside(minute(i)) {
                sum += values[i]
                n += 1
            }
            return n == 0 ? nil : sum / (Double(n) * Double(step) / 3600)
        }
    }

    func closeDay(_ d: MeterDay, meter m: inout Meter, stream: String, position: UInt64, state s: inout State) {
        m.days += 1
        // A day with missing data says nothing of consumption (no data is not "fine"), nor
        // does a day a stuck register (frozen, or an estimate repeated) was read on.
        guard !d.suspect, d.isComplete else {
            m.spikeTail = []
            return
        }
        let step = Int64(m.interval * 60)
        let values = d.deltas
        let sameOffset = clock.offset(d.start) == clock.offset(d.start + Int64(values.count) * step - 1)
        let minutes = sameOffset ? [] : (0..<values.count).map { i in clock.local(d.start + Int64(i) * step).minute }
        if rules.stuck.constantSlotWeeks != nil {
            if m.constancy == nil { m.constancy = HourOfWeekConstancy() }
            let perSlot = Int(step / 60)
            m.constancy!.learn(day: d.day, open: d.schoolDay, values: values, least: m.constantDeltaLeast) { i in
                (minutes.isEmpty ? i * perSlot : minutes[i]) / 60
            }
        }
        let (spikeSlots, dayMax) = spikes(values, start: d.start, step: step, stream: stream, position: position, meter: &m, state: &s)
        let spiked = !spikeSlots.isEmpty
        // The other detectors read the day without its spikes (one burst is not heating out of
        // season, nor a night out of hours): each spike is replaced by its neighbours' level.
        var cleaned = values
        for i in spikeSlots {
            cleaned[i] = (max(0, i - 2)...min(values.count - 1, i + 2)).filter { !spikeSlots.contains($0) }.map { values[$0] }.max() ?? 0
        }
        let day = ClosedDay(day: d, values: cleaned, shiftedMinutes: minutes, step: step)
        if m.kind == .water { leak(day, stream: stream, position: position, meter: &m, state: &s) }
        if m.usage == .heating { heating(day, stream: stream, position: position, meter: &m, state: &s) }
        outOfHours(day, stream: stream, position: position, meter: &m, state: &s)
        // A spike or a reset would read as a shift of the day's total: such days do not feed the drift.
        // Nor do days out of hours (told by their own alert) or a stuck register.
        if m.kind == .electricity && m.usage != .heating && !spiked && !d.discontinuity && m.stuck.isInactive && m.outOfHours.isInactive {
            drift(day, stream: stream, position: position, meter: &m, state: &s)
        }
        if m.stuck.isInactive && !spiked, let dayMax {
            m.recentMax.appendKeepingLast(dayMax, limit: rules.spike.recentDays)
        }
    }

    /// One interval far above anything the meter did recently, far above its neighbours on both
    /// sides (so a busier day, or a load that steps up and stays, is not a spike), and above
    /// the kind's least spike rate. A slot is judged once two slots follow it: the day's last
    /// two wait for the next day (a step up at midnight is no spike). Returns the day's slots
    /// that spiked, and the largest judged clean interval (the spike baseline's next value).
    func spikes(
        _ values: [Double], start: Int64, step: Int64, stream: String, position: UInt64, meter m: inout Meter, state s: inout State
    ) -> (Set<Int>, Double?) {
        // The last day's tail and this day's slots, read as one run (no array made of them:
        // this runs every day of every meter).
        let tail = m.spikeTailEnd == start ? m.spikeTail.count : 0
        let (t0, t1) = (tail > 0 ? m.spikeTail[0] : 0, tail > 1 ? m.spikeTail[1] : 0)
        let count = tail + values.count
        @inline(__always) func ext(_ k: Int) -> Double { k >= tail ? values[k - tail] : k == 0 ? t0 : t1 }
        m.spikeTail.removeAll(keepingCapacity: true)
        m.spikeTail.append(contentsOf: values.suffix(2))
        m.spikeTailEnd = start + Int64(values.count) * step
        guard count >= 3 else { return ([], nil) }
        let judged = 0...(count - 3)
        func time(_ k: Int) -> Int64 { start + Int64(k - tail + 1) * step }
        func at(_ k: Int) -> String { Self.stamp(time(k)) }
        let f = rules.spike.factorOverRecentMax
        // Nearly every day stays below f × the largest interval of its last week, itself at most
        // the whole window's: such a day holds no spike, and its largest judged interval is all
        // there is to say (the window's maximum and the kind's least rate are not needed).
        let window = m.recentMax
        var lastWeek = 0.0
        for x in window.suffix(7) where x > lastWeek { lastWeek = x }
        var judgedMax = 0.0
        for k in judged where ext(k) > judgedMax { judgedMax = ext(k) }
        if lastWeek > 0 && judgedMax <= f * lastWeek { return ([], judgedMax) }
        var recent = 0.0
        for x in window where x > recent { recent = x }
        let least = (rules.spike.minPerHour?[m.kind.rawValue]).map { $0 * Double(m.interval) / 60 }
        let threshold = max(f * recent, least ?? 0)
        let armed = m.days > rules.spike.warmupDays && (recent > 0 || least != nil)
        var found: Set<Int> = []
        var dayMax: Double?
        for k in judged {
            let d = ext(k)
            // Below the threshold nothing more to ask (nearly every slot): it is the day's
            // largest clean interval so far.
            guard armed, d > threshold else {
                dayMax = max(dayMax ?? 0, d)
                continue
            }
            // The largest of the two slots either side (no arrays: this runs for every slot).
            var nearMax = ext(k + 1)
            for j in max(0, k - 2)...(k + 2) where j != k && ext(j) > nearMax { nearMax = ext(j) }
            if d > f * nearMax {
                let id = "\(stream).spike.\(time(k))"
                let against =
                    recent > 0
                    ? String(format: "%.1f× the largest interval of the last %d days", d / recent, rules.spike.recentDays)
                    : "the meter was at rest for the last \(rules.spike.recentDays) days"
                let day = String(at(k).prefix(10))
                s.raise(
                    id, rule: "meter.spike", asset: stream, severity: rules.spike.severity,
                    evidence: String(format: "%.3f %@ in %d min at %@: ", d, m.kind.unit, m.interval, at(k)) + against,
                    ruleSet: ruleSet, advisory: advisory("spike"), on: day, at: at(k), position: position)
                s.resolve(id, reason: "single interval", on: day, position: position)
                if k >= tail { found.insert(k - tail) }
            } else {
                dayMax = max(dayMax ?? 0, d)
            }
        }
        return (found, dayMax)
    }

    /// Minimum night flow against the recent clean nights (a leak runs day and night).
    func leak(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let q = max(1, 60 / m.interval)
        let a = rules.leak.nightStartHour * 60
        let b = rules.leak.nightEndHour * 60
        let minimumHour = rules.leak.nightStatistic == "minimumHour"
        // The night's slots gathered on the stack (this runs every day of every water meter).
        let measured: Double? = withUnsafeTemporaryAllocation(of: Double.self, capacity: day.values.count) { buffer in
            var n = 0
            for i in day.values.indices where day.minute(i) >= a && day.minute(i) < b {
                buffer[n] = day.values[i]
                n += 1
            }
            guard n > 0 else { return nil }
            let night = UnsafeBufferPointer(rebasing: buffer[0..<n])
            if minimumHour && n >= q {
                // The night's minimum rolling hour: a cistern flush or a caretaker's tap does not
                // count, a leak (which runs all night) does.
                var window = night.prefix(q).reduce(0, +)
                var least = window
                for i in q..<n {
                    window += night[i] - night[i - q]
                    least = min(least, window)
                }
                return max(0, least) * 1000
            }
            return night.reduce(0, +) * 1000 / (Double(n * m.interval) / 60)
        }
        guard let flow = measured else { return }  // L/h
        if m.nights.count >= 7 {
            let base = m.nights.orderStatistic(min(m.nights.count - 1, Int(Double(m.nights.count - 1) * rules.leak.baselinePercentile)))
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
                let endOfNight = day.values.indices.last { day.minute($0) < b } ?? 0
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
            m.nights.appendKeepingLast(flow, limit: rules.leak.baselineNights)
        }
    }

    /// Heat or gas for heating outside the heating season (by the local date).
    func heating(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        guard !inHeatingSeason(day.day.day) else {
            if let id = m.heating.reset() { s.resolve(id, reason: "heating season started", on: day.name, position: position) }
            return
        }
        let total = day.values.reduce(0, +)
        let area = s.floorArea[m.buildingId] ?? 1000
        let base = m.offSeason.upperMedian ?? 0
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
            m.offSeason.appendKeepingLast(total, limit: rules.heatingOutOfSeason.baselineDays)
        }
    }
}
