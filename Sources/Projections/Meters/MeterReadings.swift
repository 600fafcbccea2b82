import Domain
import EventLog
import Foundation

/// One local day of a meter, filled slot by slot as readings arrive in whatever batches the
/// gateway sends. Slot `i` is the interval [start + i·interval, start + (i+1)·interval); a
/// reading at time t gives the consumption of the interval that ends at t.
public struct MeterDay: Codable, Sendable, Equatable {
    /// Local day number (days since 1970-01-01 on the local calendar) and the UTC second of its
    /// local midnight; 23 or 25 hours long on DST days.
    public var day: Int
    public var start: Int64
    /// Consumption per slot; NaN = no reading (missing, not sent, or a reset booked as nothing).
    /// Plain doubles, not optionals: half the memory for the slot written on every reading
    /// (issue 16, meters 8). Snapshots still write a missing slot as `null`.
    public var deltas: [Double]
    /// A reset or an implausible delta fell in the day (its total is no shift to learn from).
    public var discontinuity = false
    /// A stuck register was firing during the day: its readings are not consumption.
    public var suspect = false

    /// No day open (a value, not an optional: the hot path reads its fields without copying it).
    public static let none = MeterDay(day: .min, start: 0, deltas: [], schoolDay: false)
    public var isOpen: Bool { day != .min }
    public var schoolDay: Bool

    /// Whether UTC second `t` falls in this open day, cut into slots of `step` seconds.
    @inline(__always)
    func holds(_ t: Int64, step: Int64) -> Bool { isOpen && t >= start && t < start + Int64(deltas.count) * step }

    /// Slots with a reading.
    public var filled: Int { deltas.reduce(0) { $0 + ($1.isNaN ? 0 : 1) } }
    public var isComplete: Bool { !deltas.contains(where: \.isNaN) }

    init(day: Int, start: Int64, deltas: [Double], schoolDay: Bool) {
        self.day = day
        self.start = start
        self.deltas = deltas
        self.schoolDay = schoolDay
    }

    enum CodingKeys: String, CodingKey { case day, start, deltas, discontinuity, suspect, schoolDay }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        day = try c.decode(Int.self, forKey: .day)
        start = try c.decode(Int64.self, forKey: .start)
        deltas = try c.decode([Double?].self, forKey: .deltas).map { $0 ?? .nan }
        discontinuity = try c.decode(Bool.self, forKey: .discontinuity)
        suspect = try c.decode(Bool.self, forKey: .suspect)
        schoolDay = try c.decode(Bool.self, forKey: .schoolDay)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(day, forKey: .day)
        try c.encode(start, forKey: .start)
        try c.encode(deltas.map { $0.isNaN ? nil : $0 }, forKey: .deltas)
        try c.encode(discontinuity, forKey: .discontinuity)
        try c.encode(suspect, forKey: .suspect)
        try c.encode(schoolDay, forKey: .schoolDay)
    }

    /// NaN ≠ NaN: days compare slot by slot with "no reading" equal to itself.
    public static func == (a: MeterDay, b: MeterDay) -> Bool {
        a.day == b.day && a.start == b.start && a.discontinuity == b.discontinuity && a.suspect == b.suspect && a.schoolDay == b.schoolDay
            && a.deltas.count == b.deltas.count
            && zip(a.deltas, b.deltas).allSatisfy { $0.bitPattern == $1.bitPattern || $0 == $1 }
    }
}

extension MeterProjection {
    /// Readings of one event, in time order: the data-quality detectors run on each reading,
    /// the consumption detectors on each local day the readings complete.
    func readings(_ r: MeterReadingsRecorded, event: RecordedEvent, meter m: inout Meter, state s: inout State) {
        guard let first = DomainTime.dateTime(r.observedAt) else { return }
        let stream = event.stream
        let position = event.position
        let t0 = Int64(first.timeIntervalSince1970.rounded())
        let step = Int64(r.intervalMinutes * 60)
        if m.interval != r.intervalMinutes {
            // Only a raw append can change a meter's interval: the day's slots no longer fit.
            m.open = .none
            m.interval = r.intervalMinutes
        }
        func at(_ t: Int64) -> String { Self.stamp(t) }
        /// Opens the gap alert once enough readings are missing (nulls, or a hole between batches).
        func gapIfLong(since first: Int64, on day: String? = nil, key: String, evidence: @autoclosure () -> String) {
            guard m.missingRun >= rules.gap.minMissingReadings, m.gap.isInactive else { return }
            let id = "\(stream).gap.\(position).\(key)"
            s.raise(
                id, rule: "meter.gap", asset: stream, severity: rules.gap.severity, evidence: evidence(), ruleSet: ruleSet,
                advisory: advisory("gap"), on: day ?? String(at(first).prefix(10)), at: at(first), position: position)
            m.gap.fired(AlertText.id(id))
        }
        let resets = r.resets.map { Dictionary($0.map { ($0.index, $0.kind) }, uniquingKeysWith: { a, _ in a }) }
        let registerMax = pow(10, Double(m.registerDigits))
        let nearMax = registerMax * (1 - (rules.rolloverNearMaxShare ?? 1))
        let perInterval = maxPerHour[m.kind].map { $0 * Double(r.intervalMinutes) / 60 } ?? .infinity
        let modes = stuckModes(m)
        m.constantDeltaLeast = constantDeltaMinPerHour[m.kind] * Double(r.intervalMinutes) / 60
        // Intervals no reading covers between the meter's last reading and this batch: a hole
        // the gateway never sent is missing data like a null.
        if let last = m.lastTime, t0 - last > step {
            let missed = Int((t0 - last) / step) - 1
            if missed > 0 {
                m.missingRun += missed
                gapIfLong(since: last + step, key: "hole", evidence: "no reading between \(at(last)) and \(at(t0)) (\(missed) intervals never sent)")
            }
        }
        var missingBefore = m.missingRun
        var previous = m.lastValue
        var cursor = SlotCursor()
        // The usual batch: every reading present, the register climbing within the meter's
        // physical maximum, no repeat or (where it matters) zero delta, and no detector of the
        // register's own pending or firing. Its readings change nothing but the open day's slots
        // and the counters the last one leaves, so they are booked in a plain loop (issue 16,
        // meters 8); any other batch takes the reading-by-reading path below. Both give the
        // same state, byte for byte.
        let zerosMatter = modes.always || modes.occupied
        let repeatsMatter = rules.stuck.constantDeltaHours != nil
        // Where the reading-by-reading path starts: after the plain loop, if a frozen register
        // fired in it (the rest of the batch is then checked reading by reading).
        var checkedFrom = 0
        if plainRuns, missingBefore == 0, r.resets == nil, let first = previous, m.lastTime != nil, m.gap.isInactive, m.stuck.isInactive,
            !m.stuckRepeating,
            Self.isPlainRun(
                r.readings, after: first, perInterval: perInterval, repeatsMatter: repeatsMatter, lastDelta: m.lastDelta,
                least: m.constantDeltaLeast)
        {
            var p = first
            var d = 0.0
            let readings = r.readings
            var i = 0
            plain: while i < readings.count {
                // The readings that land in the open day before its last slot, written straight
                // into its buffer (what `place` and `book` do for each, without the calls), up to
                // a zero delta where a frozen register is judged.
                let count = m.open.deltas.count
                let slot = cursor.first + i
                if m.open.isOpen, cursor.day == m.open.day, slot >= 0, slot < count - 1 {
                    let run = min(readings.count - i, count - 1 - slot)
                    var written = 0
                    // A zero of a kind judged only in school hours (water), outside them, on a
                    // day without a clock change, is counted here as `flat` counts it (it cannot
                    // fire there while the school-hours run is short of the rule); any other
                    // judged zero goes to `flat`.
                    let zerosHere =
                        modes.occupied && !modes.always && Int64(count) * step == 86_400
                        && m.occupiedZeroRun < occupiedZerosNeeded(interval: m.interval)
                        && openMinutes != nil
                    let open = m.open.schoolDay ? (openMinutes ?? 0..<0) : 0..<0
                    let learning = m.days <= rules.spike.warmupDays
                    let firstFrom = t0 + Int64(i - 1) * step - m.open.start  // seconds into the day
                    var zeroRun = m.zeroRun
                    var occupiedZeroRun = m.occupiedZeroRun
                    readings.withUnsafeBufferPointer { values in
                        m.open.deltas.withUnsafeMutableBufferPointer { slots in
                            for j in 0..<run {
                                let v = values[i + j].unsafelyUnwrapped
                                if zerosMatter {
                                    if v == p {
                                        guard zerosHere, !open.contains(Int(firstFrom + Int64(j) * step) / 60) else { break }
                                        (zeroRun, occupiedZeroRun) = learning ? (0, 0) : (zeroRun + 1, occupiedZeroRun)
                                    } else {
                                        (zeroRun, occupiedZeroRun) = (0, 0)
                                    }
                                }
                                d = v - p
                                let booked = slots[slot + j]
                                slots[slot + j] = (booked.isNaN ? 0 : booked) + d
                                p = v
                                written += 1
                            }
                        }
                    }
                    if written > 0 {
                        i += written
                        if zerosMatter {
                            m.zeroRun = zeroRun
                            m.occupiedZeroRun = occupiedZeroRun
                        }
                        continue
                    }
                }
                // One reading at a time: the open day's last slot, a new day, or a judged zero.
                let v = readings[i].unsafelyUnwrapped
                d = v - p
                let t = t0 + Int64(i) * step
                if zerosMatter {
                    if d == 0 {
                        flat(at: t, step: step, stream: stream, position: position, modes: modes, meter: &m, state: &s)
                    } else {
                        m.zeroRun = 0
                        m.occupiedZeroRun = 0
                    }
                }
                place(d, at: t, index: i, cursor: &cursor, step: step, discontinuity: false, meter: &m, stream: stream, position: position, state: &s)
                p = v
                i += 1
                if !m.stuck.isInactive {
                    checkedFrom = i
                    break plain
                }
            }
            if checkedFrom == 0 { checkedFrom = readings.count }
            // What the per-reading checks leave after such a run.
            if repeatsMatter {
                m.sameDeltaRun = d > 0 ? 1 : 0
                m.lastDelta = d
                if m.constancy != nil && m.constancy!.countedRepeats != 0 { m.constancy!.countedRepeats = 0 }
            }
            previous = p
        }
        for i in checkedFrom..<r.readings.count {
            let value = r.readings[i]
            let t = t0 + Int64(i) * step
            // Formatted only when an alert needs it (this loop runs for every reading).
            var day: String { String(at(t).prefix(10)) }
            guard let v = value else {
                missingBefore += 1
                m.missingRun += 1
                let firstMissing = t - Int64(m.missingRun - 1) * step  // (only formatted if a gap opens)
                gapIfLong(since: firstMissing, on: day, key: "\(i)", evidence: "no reading since \(at(firstMissing))")
                place(
                    nil, at: t, index: i, cursor: &cursor, step: step, discontinuity: false, meter: &m, stream: stream, position: position,
                    state: &s)
                continue
            }
            if let g = m.gap.reset() {
                s.resolve(g, reason: "readings resumed at \(at(t)) after \(m.missingRun) missing", on: day, position: position)
            }
            m.missingRun = 0
            // The register's steps: a declared reset, an unmarked drop, or a delta; drops and
            // implausible deltas are events on the meter and book no consumption.
            var delta: Double?
            var kind = resets?[i]
            var note = kind.map { "declared \($0.rawValue)" } ?? ""
            if kind == .rollover, let p = previous, rules.rolloverNearMaxShare != nil, p < nearMax {
                kind = .meterSwap
                note = "declared rollover, but from \(p) \(m.kind.unit), far below the register's maximum: read as a regression"
            } else if kind == nil, let p = previous, v < p {
                let wrapped = v + registerMax - p
                if rules.rolloverNearMaxShare != nil && p >= nearMax && wrapped <= perInterval * Double(missingBefore + 1) {
                    kind = .rollover
                    note = "unmarked rollover"
                } else {
                    kind = .meterSwap
                    note = "unmarked drop: no consumption booked across it"
                }
            }
            var discontinuity = false
            if let kind {
                discontinuity = true
                let rule = kind == .rollover ? "meter.rollover" : "meter.counterRegression"
                let id = "\(stream).\(kind == .rollover ? "rollover" : "counterRegression").\(position).\(i)"
                s.raise(
                    id, rule: rule, asset: stream, severity: kind == .rollover ? rules.rollover.severity : rules.counterRegression.severity,
                    evidence: "register went from \(previous.map { "\($0) \(m.kind.unit)" } ?? "?") to \(v) \(m.kind.unit) at \(at(t)) (\(note))",
                    ruleSet: ruleSet, advisory: false, on: day, at: at(t), position: position)
                s.resolve(id, reason: "point event", on: day, position: position)
                if kind == .rollover, let p = previous { delta = (v + registerMax - p) / Double(missingBefore + 1) }
            } else if let p = previous, m.lastTime != nil || i > 0 {
                // The first reading after the installation only sets the register (the time
                // it covers is unknown). After missing readings the register delta covers the whole gap: spread it
                // (a closed gap is not a spike).
                // (No division in the usual case: a floating divide per reading showed.)
                delta = missingBefore == 0 ? max(0, v - p) : max(0, v - p) / Double(missingBefore + 1)
            }
            if let d = delta, d > perInterval {
                discontinuity = true
                let id = "\(stream).implausibleDelta.\(position).\(i)"
                s.raise(
                    id, rule: "meter.implausibleDelta", asset: stream, severity: rules.implausibleDelta?.severity ?? .warning,
                    evidence: String(
                        format: "%.3f %@ in %d min at %@: more than this %@ meter can deliver (%.0f %@/h); booked as no consumption",
                        d * Double(missingBefore + 1), m.kind.unit, m.interval * (missingBefore + 1), at(t), m.kind.rawValue,
                        rules.implausibleDelta?.maxPerHour[m.kind.rawValue] ?? 0, m.kind.unit),
                    ruleSet: ruleSet, advisory: advisory("implausibleDelta"), on: day, at: at(t), position: position)
                s.resolve(id, reason: "point event", on: day, position: position)
                delta = nil
            }
            if let d = delta {
                repeating(d, at: t, step: step, stream: stream, position: position, meter: &m, state: &s)
                stuck(d, at: t, step: step, stream: stream, position: position, modes: modes, meter: &m, state: &s)
            }
            place(
                delta, at: t, index: i, cursor: &cursor, step: step, discontinuity: discontinuity, meter: &m, stream: stream, position: position,
                state: &s)
            missingBefore = 0
            previous = v
        }
        m.lastValue = previous
        let end = t0 + Int64(r.readings.count - 1) * step
        m.lastAt = at(end)
        m.lastTime = end
    }

    /// Whether a batch's readings are all present and make a run the per-reading checks would
    /// pass without a step of their own: no drop, no delta above `perInterval`, and no delta
    /// repeating the last (where repeats are judged). Zero deltas are judged in the plain loop.
    static func isPlainRun(
        _ readings: [Double?], after first: Double, perInterval: Double, repeatsMatter: Bool, lastDelta: Double, least: Double
    ) -> Bool {
        var p = first
        var last = lastDelta
        for value in readings {
            guard let v = value, v >= p else { return false }
            let d = v - p
            if d > perInterval { return false }
            if repeatsMatter && d > 0 && d >= least && abs(d - last) <= 1e-9 * max(1, abs(d)) { return false }
            last = d
            p = v
        }
        return true
    }

    /// Where a batch's readings fall in the open day: reading i of the batch goes to slot
    /// `first + i` of day `day` (its times advance by exactly one interval a reading), so only
    /// the first reading of a batch in a day divides by the interval.
    struct SlotCursor {
        var day = Int.min
        var first = 0
    }

    /// Books one reading's delta into the slot of the local day it was consumed in. A day whose
    /// last slot is reached, or that a later day follows, is closed and judged.
    @inline(__always)
    func place(
        _ delta: Double?, at t: Int64, index i: Int, cursor: inout SlotCursor, step: Int64, discontinuity: Bool, meter m: inout Meter,
        stream: String, position: UInt64, state s: inout State
    ) {
        let from = t - step
        // Within the open day (nearly always): the slot follows the previous reading's.
        if m.open.isOpen, cursor.day == m.open.day {
            let slot = cursor.first + i
            if slot >= 0, slot < m.open.deltas.count {
                book(delta, slot: slot, discontinuity: discontinuity, meter: &m, stream: stream, position: position, state: &s)
                return
            }
        }
        let localDay: Int
        if m.open.holds(from, step: step) {
            localDay = m.open.day
        } else {
            localDay = clock.local(from).day
        }
        // No binding of the open day on this path: a copy alive while its slots are written
        // would make every write copy them.
        if m.open.isOpen && m.open.day != localDay {
            guard m.open.day < localDay else { return }  // an earlier day, already judged
            let closed = m.open
            m.open = .none
            closeDay(closed, meter: &m, stream: stream, position: position, state: &s)
        }
        if !m.open.isOpen {
            let start = clock.midnight(localDay)
            let slots = max(1, Int((clock.midnight(localDay + 1) - start) / step))
            m.open = MeterDay(day: localDay, start: start, deltas: Array(repeating: .nan, count: slots), schoolDay: schoolDay(localDay))
        }
        let count = m.open.deltas.count
        let offset = from - m.open.start
        let slot = min(count - 1, max(0, Int(offset / step)))
        if offset >= 0 && Int64(slot) * step <= offset && offset < Int64(slot + 1) * step {
            cursor = SlotCursor(day: m.open.day, first: slot - i)
        }
        book(delta, slot: slot, discontinuity: discontinuity, meter: &m, stream: stream, position: position, state: &s)
    }

    /// Whether the school is open on a local day (from the calendar; without one, Monday to Friday).
    func schoolDay(_ day: Int) -> Bool { rules.schoolCalendar?.isSchoolDay(day: day) ?? (LocalClock.weekday(day) % 7 > 1) }

    /// Adds a delta to a slot of the open day, and closes the day at its last slot.
    @inline(__always)
    func book(_ delta: Double?, slot: Int, discontinuity: Bool, meter m: inout Meter, stream: String, position: UInt64, state s: inout State) {
        // In place (no copy of the day held): a copy per reading would copy its slots each time.
        let count = m.open.deltas.count
        if let delta {
            let booked = m.open.deltas[slot]
            m.open.deltas[slot] = (booked.isNaN ? 0 : booked) + delta
        }
        if discontinuity { m.open.discontinuity = true }
        if !m.stuck.isInactive { m.open.suspect = true }
        if slot == count - 1 {
            let closed = m.open
            m.open = .none
            closeDay(closed, meter: &m, stream: stream, position: position, state: &s)
        }
    }

    /// A register that advances by exactly the same amount every interval for
    /// `stuck.constantDeltaHours` (brief §1.1: "identical non-zero interval values"): a gateway
    /// repeating its last value, or an estimate sent as a reading. Real consumption varies.
    /// Inlined for the usual reading (a delta unlike the last); a repeat goes to `repeated`.
    @inline(__always)
    func repeating(_ d: Double, at t: Int64, step: Int64, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        guard let hours = rules.stuck.constantDeltaHours else { return }
        // Only deltas well above the register's resolution count: at 0.001 m³ a night's trickle
        // repeats itself honestly.
        let same = d > 0 && d >= m.constantDeltaLeast && abs(d - m.lastDelta) <= 1e-9 * max(1, abs(d))
        m.lastDelta = d
        guard same else {
            m.sameDeltaRun = d > 0 ? 1 : 0
            if m.constancy != nil && m.constancy!.countedRepeats != 0 { m.constancy!.countedRepeats = 0 }
            if m.stuckRepeating { repeatsEnded(at: t, position: position, meter: &m, state: &s) }
            return
        }
        m.sameDeltaRun += 1
        repeated(d, hours: hours, at: t, step: step, stream: stream, position: position, meter: &m, state: &s)
    }

    /// The interval values vary again: a stuck alert raised for repeats resolves.
    @inline(never)
    func repeatsEnded(at t: Int64, position: UInt64, meter m: inout Meter, state s: inout State) {
        guard let a = m.stuck.reset() else { return }
        m.stuckRepeating = false
        s.resolve(a, reason: "interval values vary again at \(Self.stamp(t))", on: String(Self.stamp(t).prefix(10)), position: position)
    }

    /// A delta equal to the last: counts it (v4: only in the hours whose values history says
    /// never repeat; the clock is asked only here) and raises the alert once the run is long.
    @inline(never)
    func repeated(
        _ d: Double, hours: Double, at t: Int64, step: Int64, stream: String, position: UInt64, meter m: inout Meter, state s: inout State
    ) {
        func at(_ t: Int64) -> String { Self.stamp(t) }
        let slotted = rules.stuck.constantSlotWeeks != nil
        if let weeks = rules.stuck.constantSlotWeeks, m.constancy != nil {
            let local = clock.local(t - step)
            let open = m.open.day == local.day ? m.open.schoolDay : schoolDay(local.day)
            let slot = HourOfWeekConstancy.index(day: local.day, hour: local.minute / 60, open: open)
            // History says the values here never repeat; or they only repeat at rest here
            // and a steady flow is no physical consumption of this kind (water leaks steadily).
            if let h = m.constancy!.history(slot, weeks: weeks, minWeeks: rules.stuck.constantSlotMinWeeks ?? 1),
                !h.counted && (!h.atRest || rules.stuck.constantAtRestKinds?.contains(m.kind) == true)
            {
                m.constancy!.countedRepeats += 1
            }
        }
        let needed = max(2, Int(hours * 60) / m.interval)
        guard m.sameDeltaRun >= 2, m.sameDeltaRun >= needed, m.stuck.isInactive, m.days > rules.spike.warmupDays else { return }
        // (Under v4 a meter with no day learnt yet has no slot that always varies.)
        if slotted && (m.constancy?.countedRepeats ?? 0) < needed - 1 { return }
        let id = "\(stream).stuck.\(position).\(t)"
        let whereVarying = slotted ? ", \(Int(hours)) h of it in hours of the week where this meter's values never repeat" : ""
        s.raise(
            id, rule: "meter.stuck", asset: stream, severity: rules.stuck.severity,
            evidence: String(
                format: "register advancing by exactly %.3f %@ every %d min for %.0f h (since %@%@): real consumption varies", d, m.kind.unit,
                m.interval, slotted ? Double(m.sameDeltaRun * m.interval) / 60 : hours, at(t - Int64(m.sameDeltaRun - 1) * step), whereVarying),
            ruleSet: ruleSet, advisory: advisory("stuck"), on: String(at(t).prefix(10)), at: at(t), position: position)
        m.stuck.fired(AlertText.id(id))
        m.stuckRepeating = true
    }

    /// Which stuck rules apply to a meter: always-flowing kinds, and kinds that flow while the
    /// school is open. Worked out once a batch.
    struct StuckModes {
        var always: Bool
        var occupied: Bool
    }

    func stuckModes(_ m: Meter) -> StuckModes {
        let hasCalendar = rules.schoolCalendar != nil
        // A heating meter (a heat pump's electricity) may rest while the school is open.
        return StuckModes(
            always: rules.stuck.kinds.contains(m.kind) && (!hasCalendar || m.usage != .heating),
            occupied: hasCalendar && rules.stuck.occupiedKinds?.contains(m.kind) == true && m.usage != .heating)
    }

    /// A register that does not move: for `minHours` on a kind that always consumes, or for
    /// `occupiedMinHours` of occupied hours (school open, local time) on the kinds where that is
    /// abnormal (water while pupils are in). Under a rule set with a school calendar, the
    /// first weeks only teach (no alert), and no idle stretch exempts a meter for ever.
    @inline(__always)
    func stuck(
        _ d: Double, at t: Int64, step: Int64, stream: String, position: UInt64, modes: StuckModes, meter m: inout Meter, state s: inout State
    ) {
        guard modes.always || modes.occupied else { return }
        guard d == 0 else {
            m.zeroRun = 0
            m.occupiedZeroRun = 0
            if !m.stuckRepeating && !m.stuck.isInactive { moving(at: t, position: position, meter: &m, state: &s) }
            return
        }
        flat(at: t, step: step, stream: stream, position: position, modes: modes, meter: &m, state: &s)
    }

    /// The register moves again: a stuck alert raised for a frozen register resolves.
    @inline(never)
    func moving(at t: Int64, position: UInt64, meter m: inout Meter, state s: inout State) {
        guard let a = m.stuck.reset() else { return }
        s.resolve(a, reason: "register moving again at \(Self.stamp(t))", on: String(Self.stamp(t).prefix(10)), position: position)
    }

    /// A zero delta: counts it, in occupied hours too, and raises the alert once the run is long.
    @inline(never)
    /// Zero deltas in occupied hours that make a register stuck (`stuck.occupiedMinHours`).
    func occupiedZerosNeeded(interval: Int) -> Int { Int((rules.stuck.occupiedMinHours ?? rules.stuck.minHours) * 60) / interval }

    func flat(at t: Int64, step: Int64, stream: String, position: UInt64, modes: StuckModes, meter m: inout Meter, state s: inout State) {
        // (The calendar is never bound to a local: a copy of it is six reference counts a reading.)
        let always = modes.always
        let occupiedKind = modes.occupied
        func at(_ t: Int64) -> String { Self.stamp(t) }
        var day: String { String(at(t).prefix(10)) }
        let needed = Int(rules.stuck.minHours * 60) / m.interval
        let neededOccupied = occupiedZerosNeeded(interval: m.interval)
        m.zeroRun += 1
        if occupiedKind, rules.schoolCalendar != nil {
            let from = t - step
            let school: Bool
            let minute: Int
            if m.open.holds(from, step: step), Int64(m.open.deltas.count) * step == 86_400 {
                // Within the open day, a day without a clock change: no need to ask the clock,
                // and the open day knows whether it is a school day.
                school = m.open.schoolDay
                minute = Int(from - m.open.start) / 60
            } else {
                let local = clock.local(from)
                school = m.open.day == local.day ? m.open.schoolDay : rules.schoolCalendar!.isSchoolDay(day: local.day)
                minute = local.minute
            }
            if rules.schoolCalendar!.isOpen(minute: minute) && school { m.occupiedZeroRun += 1 }
        }
        let learning: Bool
        if rules.schoolCalendar == nil {
            if m.zeroRun >= needed && m.days <= rules.spike.warmupDays { m.idles = true }
            learning = m.idles
        } else {
            // The first weeks teach: a flat start is neither an alert nor carried over.
            learning = m.days <= rules.spike.warmupDays
            if learning {
                m.zeroRun = 0
                m.occupiedZeroRun = 0
            }
        }
        let flat = always && m.zeroRun >= needed
        let flatOccupied = occupiedKind && m.occupiedZeroRun >= neededOccupied
        guard (flat || flatOccupied) && m.stuck.isInactive && !learning else { return }
        let since = t - Int64(m.zeroRun - 1) * step
        let id = "\(stream).stuck.\(position).\(t)"
        let what =
            flat
            ? "register unchanged for \(rules.stuck.minHours) h"
            : "register unchanged for \(rules.stuck.occupiedMinHours ?? 0) h of school hours (\(m.kind.rawValue) always flows while the school is open)"
        s.raise(
            id, rule: "meter.stuck", asset: stream, severity: rules.stuck.severity, evidence: "\(what) (since \(at(since)))", ruleSet: ruleSet,
            advisory: advisory("stuck"), on: day, at: at(t), position: position)
        m.stuck.fired(AlertText.id(id))
    }
}
