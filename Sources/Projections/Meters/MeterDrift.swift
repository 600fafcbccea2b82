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
        let nightMean = day.hourlyRate(from: .min, to: 240) ?? 0
        let dayMean = day.hourlyRate(from: 540, to: 900) ?? 0
        let occupied = dayMean > 2 * max(nightMean, 1e-9)
        // Taken out of the meter while it is worked on: a second reference to it would make the
        // day's append copy the whole window.
        var ref: [Double] = []
        if occupied { swap(&ref, &m.occupiedRef) } else { swap(&ref, &m.idleRef) }
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
            let median = ref.orderStatistic(ref.count / 2)
            let mad = ref.orderStatistic(ref.count / 2) { abs($0 - median) } * 1.4826
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
                    m.driftRecentOccupied.appendKeepingLast(total, limit: rules.drift.referenceDays)
                } else {
                    m.driftRecentIdle.appendKeepingLast(total, limit: rules.drift.referenceDays)
                }
            }
            if cusum > 0 { return }  // do not learn while a shift is suspected
        }
        ref.appendKeepingLast(total, limit: rules.drift.referenceDays)
    }
}
