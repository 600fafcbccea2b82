import Domain
import Foundation

extension MeterProjection {
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
            guard inHeatingSeason(day.day.day) else {
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
        guard let night = day.hourlyRate(from: from - grace, to: to + grace, outside: true) else { return }
        let inHours = day.hourlyRate(from: from + grace, to: to - grace) ?? 0
        func median(_ a: [Double]) -> Double? { a.count < o.minReferenceDays ? nil : a.upperMedian }
        // The rate in use sets the floor; before the meter has seen a school day (a data set
        // that starts in the summer), its closed days' rate does.
        let inUse = median(m.inUseRates) ?? median(m.closedRates) ?? 0
        let floor = o.minShareOfInUse * inUse
        func excess(_ x: Double, _ ref: Double?) -> (breach: Bool, clear: Bool, trigger: Double)? {
            guard let ref else { return nil }
            let trigger = max(ref * o.factorOverBaseline, ref + floor)
            return (x > trigger, x <= max(ref * (1 + (o.factorOverBaseline - 1) / 2), ref + floor / 2), trigger)
        }
        let nightReference = median(m.nightRates)
        let closedReference = day.day.schoolDay ? nil : median(m.closedRates)
        let nightJudged = excess(night, nightReference)
        let closedJudged = excess(inHours, closedReference)
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
                        format: "%.2f %@/h outside %02d:00–%02d:00 (normal %.2f)", night, m.kind.unit, hours[0], hours[1], nightReference ?? 0))
            }
            if let c = closedJudged, c.breach {
                parts.append(String(format: "%.2f %@/h on a closed day (normal %.2f)", inHours, m.kind.unit, closedReference ?? 0))
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
        m.nightRates.appendKeepingLast(night, limit: o.baselineDays)
        if day.day.schoolDay {
            m.inUseRates.appendKeepingLast(inHours, limit: o.baselineDays)
        } else {
            m.closedRates.appendKeepingLast(inHours, limit: o.baselineDays)
        }
    }
}
