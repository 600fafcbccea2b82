import Domain
import Foundation

extension MeterProjection {
    /// Tabular CUSUM on daily totals, separately for occupied and idle days (told apart by the
    /// day's own profile in local time), against a reference window that stops learning while
    /// the sum grows. Lifecycle: fires on the first signal; resolves once the class that raised
    /// it is back within k σ for `resolveDays` days (hysteresis), or is refit (`refitDays`).
    func drift(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let values = day.values
        guard values.count >= 20 else { return }
        let total = values.reduce(0, +)
        let nightMean = day.hourlyRate { $0 < 240 } ?? 0
        let dayMean = day.hourlyRate { $0 >= 540 && $0 < 900 } ?? 0
        let occupied = dayMean > 2 * max(nightMean, 1e-9)
        var ref = occupied ? m.occupiedRef : m.idleRef
        var cusum = occupied ? m.cusumOccupied : m.cusumIdle
        defer {
            if occupied {
                m.occupiedRef = ref
                m.cusumOccupied = cusum
            } else {
                m.idleRef = ref
                m.cusumIdle = cusum
            }
        }
        if ref.count >= 7 && m.days > rules.drift.warmupDays {
            let sorted = ref.sorted()
            let median = sorted[sorted.count / 2]
            let mad = sorted.map { abs($0 - median) }.sorted()[sorted.count / 2] * 1.4826
            let sigma = max(mad, rules.drift.minSigmaShare * median, 1e-9)
            let z = (total - median) / sigma
            cusum = max(0, cusum + z - rules.drift.k)
            if m.drift.alert == nil && cusum > rules.drift.h {
                let id = "\(stream).drift.\(day.name)"
                s.raise(
                    id, rule: "meter.drift", asset: stream, severity: rules.drift.severity,
                    evidence: String(
                        format: "%@ day total %.1f %@ against a reference of %.1f %@ (+%.0f%%); CUSUM %.1f > %.1f", occupied ? "occupied" : "idle",
                        total, m.kind.unit, median, m.kind.unit, (total / median - 1) * 100, cusum, rules.drift.h),
                    ruleSet: ruleSet, advisory: advisory("drift"), on: day.name, at: day.end, position: position)
                m.drift.fired(AlertText.id(id))
                m.driftOccupied = occupied
                m.driftDays = 0
            } else if m.drift.alert != nil, let resolveDays = rules.drift.resolveDays, m.driftOccupied == occupied {
                m.driftDays += 1
                // Back within k σ (clear) for resolveDays days resolves it; a day between k σ
                // and the trigger holds it (hysteresis).
                switch m.drift.step(breach: false, clear: abs(z) <= rules.drift.k, pendingFor: 1, keepFiringFor: resolveDays - 1) {
                case .resolve(let id):
                    s.resolve(id, reason: "day totals back to the reference for \(resolveDays) days", on: day.name, position: position)
                    (m.driftDays, cusum) = (0, 0)
                    (m.driftRecentOccupied, m.driftRecentIdle) = ([], [])
                    // The meter is back: both sums restart (the other class's must not re-raise
                    // what this alert already told).
                    (m.cusumOccupied, m.cusumIdle) = (0, 0)
                default:
                    if let refit = rules.drift.refitDays, m.driftDays >= refit, let id = m.drift.reset() {
                        s.resolve(
                            id, reason: "the reference was refit to the new level after \(refit) days (CUSUM reset)", on: day.name,
                            position: position)
                        (m.driftDays, cusum) = (0, 0)
                        // Each class's reference restarts from its recent days (or keeps learning).
                        if occupied {
                            (m.cusumIdle, m.idleRef) = (0, m.driftRecentIdle.count >= 7 ? m.driftRecentIdle : m.idleRef)
                            ref = m.driftRecentOccupied.count >= 7 ? m.driftRecentOccupied : ref
                        } else {
                            (m.cusumOccupied, m.occupiedRef) = (0, m.driftRecentOccupied.count >= 7 ? m.driftRecentOccupied : m.occupiedRef)
                            ref = m.driftRecentIdle.count >= 7 ? m.driftRecentIdle : ref
                        }
                        (m.driftRecentOccupied, m.driftRecentIdle) = ([], [])
                        return
                    }
                }
            }
            if m.drift.alert != nil {
                if occupied {
                    m.driftRecentOccupied = Array((m.driftRecentOccupied + [total]).suffix(rules.drift.referenceDays))
                } else {
                    m.driftRecentIdle = Array((m.driftRecentIdle + [total]).suffix(rules.drift.referenceDays))
                }
            }
            if cusum > 0 { return }  // do not learn while a shift is suspected
        }
        ref.append(total)
        if ref.count > rules.drift.referenceDays { ref.removeFirst(ref.count - rules.drift.referenceDays) }
    }

    /// Consumption out of hours (brief §3): a heating meter in season running outside the
    /// permitted hours or on a closed day, a general electricity supply running at night or on
    /// a closed day. Each class (nights; closed days' hours) is judged against its own recent
    /// clean days, with a floor relative to the meter's rate in use: a building that always
    /// keeps some load is not news, a building that suddenly runs at night is.
    func outOfHours(_ day: ClosedDay, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        guard let o = rules.outOfHours else { return }
        let hours: [Int]
        switch (m.kind, m.usage) {
        case (_, .heating):
            let c = LocalClock.civil(day.day.day)
            guard rules.inSeason(month: c.month, day: c.day) else {
                if let id = m.outOfHours.reset() { s.resolve(id, reason: "heating season ended", on: day.name, position: position) }
                return
            }
            hours = o.heatingHours
        case (.electricity, .general): hours = o.electricityHours
        default: return
        }
        let from = hours[0] * 60
        let to = hours[1] * 60
        // A system that starts a little early or stops a little late is not news: the minutes
        // around the window's edges are judged by neither side.
        let grace = o.graceMinutes ?? 0
        guard let night = day.hourlyRate({ $0 < from - grace || $0 >= to + grace }) else { return }
        let inHours = day.hourlyRate { $0 >= from + grace && $0 < to - grace } ?? 0
        func median(_ a: [Double]) -> Double? { a.count < o.minReferenceDays ? nil : a.sorted()[a.count / 2] }
        // The rate in use sets the floor; before the meter has seen a school day (a data set
        // that starts in the summer), its closed days' rate does.
        let inUse = median(m.inUseRates) ?? median(m.closedRates) ?? 0
        let floor = o.minShareOfInUse * inUse
        func excess(_ x: Double, _ ref: Double?) -> (breach: Bool, clear: Bool, trigger: Double)? {
            guard let ref else { return nil }
            let trigger = max(ref * o.factorOverBaseline, ref + floor)
            return (x > trigger, x <= max(ref * (1 + (o.factorOverBaseline - 1) / 2), ref + floor / 2), trigger)
        }
        let nightJudged = excess(night, median(m.nightRates))
        let closedJudged = day.day.schoolDay ? nil : excess(inHours, median(m.closedRates))
        let breach = inUse > 0 && (nightJudged?.breach == true || closedJudged?.breach == true)
        let clear = (nightJudged?.clear ?? true) && (closedJudged?.clear ?? true)
        switch m.outOfHours.step(breach: breach, clear: clear, pendingFor: o.pendingDays, keepFiringFor: o.keepFiringDays) {
        case .raise:
            let id = "\(stream).outOfHours.\(day.name)"
            let what = m.usage == .heating ? "heating" : "electricity"
            var parts: [String] = []
            if let n = nightJudged, n.breach {
                parts.append(
                    String(
                        format: "%.2f %@/h outside %02d:00–%02d:00 (normal %.2f)", night, m.kind.unit, hours[0], hours[1], median(m.nightRates) ?? 0))
            }
            if let c = closedJudged, c.breach {
                parts.append(String(format: "%.2f %@/h on a closed day (normal %.2f)", inHours, m.kind.unit, median(m.closedRates) ?? 0))
            }
            s.raise(
                id, rule: "meter.outOfHours", asset: stream, severity: o.severity,
                evidence:
                    "\(what) running out of hours on \(day.name): \(parts.joined(separator: "; ")); in use it draws \(String(format: "%.2f", inUse)) \(m.kind.unit)/h",
                ruleSet: ruleSet, advisory: advisory("outOfHours"), on: day.name, at: day.end, position: position)
            m.outOfHours.fired(AlertText.id(id))
        case .resolve(let id):
            s.resolve(id, reason: "back to its usual out-of-hours consumption", on: day.name, position: position)
        case .none: break
        }
        // Only clean days teach the references, so an excess cannot become the new normal.
        guard m.outOfHours.isInactive && !breach else { return }
        m.nightRates = Array((m.nightRates + [night]).suffix(o.baselineDays))
        if day.day.schoolDay {
            m.inUseRates = Array((m.inUseRates + [inHours]).suffix(o.baselineDays))
        } else {
            m.closedRates = Array((m.closedRates + [inHours]).suffix(o.baselineDays))
        }
    }
}
