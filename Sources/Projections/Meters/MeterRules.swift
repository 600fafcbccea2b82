import Domain

/// `projections/meters/v<N>.json`: every threshold of the meter detectors.
public struct MeterRules: Codable, Sendable, ValidatedRules {
    public var ruleSet: String
    public var version: Int
    public var source: String
    public var advisory: [String]
    public var gap: Gap
    public var stuck: Stuck
    public var spike: Spike
    public var leak: Leak
    public var heatingOutOfSeason: HeatingOutOfSeason
    public var drift: Drift
    public var counterRegression: SeverityOnly
    public var rollover: SeverityOnly
    /// v2 on: an unmarked drop from within this share of the register's maximum is read as a
    /// rollover; a declared rollover from further below is read as a regression (brief §1.1).
    public var rolloverNearMaxShare: Double?
    /// v2 on: the most a meter of each kind can deliver in an hour (its physical maximum);
    /// a delta above it is implausible, raises an alert and is booked as no consumption.
    public var implausibleDelta: ImplausibleDelta?
    /// v2 on: a meter whose gateway stops sending. Measured on the log's clock (when batches
    /// were recorded), so a backfilled history is not silence and a rebuild says the same.
    public var silent: Silent?

    /// v3 on: consumption outside the hours a building uses it (brief §3, issue 16 meters 5):
    /// heating at night, on weekends and on school holidays in the heating season, and
    /// electricity of the general supply at night and on closed days, all year.
    public var outOfHours: OutOfHours?

    public struct OutOfHours: Codable, Sendable {
        /// Local hours [from, to) heating may run: Milan's ordinance, 05:00–23:00 [V].
        public var heatingHours: [Int]
        /// Local hours [from, to) a school's general electricity is in use on a school day
        /// (lessons, cleaning, evening activities) [I].
        public var electricityHours: [Int]
        /// Reference values kept per class (school-day nights, closed days), and how many a
        /// meter needs before it is judged.
        public var baselineDays: Int
        public var minReferenceDays: Int
        /// The hourly rate out of hours must exceed both its reference × factor and the
        /// reference plus this share of the meter's rate in use (the floor that keeps a meter
        /// that is near zero out of hours from alerting on noise).
        public var factorOverBaseline: Double
        public var minShareOfInUse: Double
        /// Days the excess must hold before it fires, and clean days it keeps firing after.
        public var pendingDays: Int
        public var keepFiringDays: Int
        public var severity: AlertSeverity
        /// Minutes either side of each window edge judged by neither side (a boiler that
        /// starts at 04:45 is not "heating at night").
        public var graceMinutes: Int?
        public var note: String?
    }

    public struct Silent: Codable, Sendable {
        /// How often batches are expected, and the latency allowed on top.
        public var expectedBatchHours: Double
        public var latencyHours: Double
        public var severity: AlertSeverity
    }

    public struct ImplausibleDelta: Codable, Sendable {
        public var maxPerHour: [String: Double]
        public var severity: AlertSeverity
        public var note: String?
    }

    public struct Gap: Codable, Sendable { public var minMissingReadings: Int; public var severity: AlertSeverity }
    public struct Stuck: Codable, Sendable {
        public var minHours: Double; public var kinds: [MeterKind]; public var severity: AlertSeverity
        /// v2 on: kinds for which a flat register during occupied hours is abnormal (water in
        /// school hours), and for how many occupied hours.
        public var occupiedKinds: [MeterKind]?
        public var occupiedMinHours: Double?
        /// v3 on: hours of identical non-zero interval deltas (any kind) that make a register
        /// stuck too: a gateway repeating its last value.
        public var constantDeltaHours: Double?
        /// The least rate (per kind, per hour) an identical delta must show to count.
        public var constantDeltaMinPerHour: [String: Double]?
        /// v4 on: repeats count only in local hours of the week where, over the last
        /// `constantSlotWeeks` weeks seen (at least `constantSlotMinWeeks`), the meter's interval
        /// values never repeated (brief §1.1): a leak's steady night flow is not an estimate.
        public var constantSlotWeeks: Int?
        public var constantSlotMinWeeks: Int?
        /// Kinds whose repeats count also where the meter rests at zero: no physical consumption
        /// of theirs holds to the register's last digit for hours (heating, lights), while a
        /// water leak does.
        public var constantAtRestKinds: [MeterKind]?
        public var note: String?
    }
    /// v2 on: when the schools are open (occupied hours, in local time).
    public var schoolCalendar: SchoolCalendarRule?
    public struct Spike: Codable, Sendable {
        public var factorOverRecentMax: Double; public var recentDays: Int; public var warmupDays: Int; public var severity: AlertSeverity
        /// v3 on: the least hourly rate, per kind, an interval must reach to be a spike: on a
        /// meter that has been at rest (district heat in summer) "× the recent maximum" is
        /// no threshold at all.
        public var minPerHour: [String: Double]?
        public var note: String?
    }
    public struct Leak: Codable, Sendable {
        public var nightStartHour: Int; public var nightEndHour: Int; public var baselineNights: Int; public var baselinePercentile: Double
        public var gamma: Double; public var absFloorLitresPerHour: Double; public var pendingNights: Int; public var keepFiringNights: Int
        public var severity: AlertSeverity
        /// v2 on: "minimumHour", the night's minimum rolling hour (brief §1.2, UKWIR); v1: the mean.
        public var nightStatistic: String?
    }
    public struct HeatingOutOfSeason: Codable, Sendable {
        public var seasonStart: String; public var seasonEnd: String; public var factorOverBaseline: Double; public var baselineDays: Int
        public var absFloorPerM2: Double; public var pendingDays: Int; public var severity: AlertSeverity
    }
    public struct Drift: Codable, Sendable {
        public var referenceDays: Int; public var warmupDays: Int; public var k: Double; public var h: Double; public var minSigmaShare: Double
        public var severity: AlertSeverity
        /// v2 on: days back within k σ of the reference that resolve a drift (hysteresis), and
        /// days of a persisting shift after which the reference is refit to the new level.
        public var resolveDays: Int?
        public var refitDays: Int?
        public var note: String?
    }
    public struct SeverityOnly: Codable, Sendable { public var severity: AlertSeverity }

    public var info: RuleSetInfo { RuleSetInfo(name: ruleSet, version: version, advisory: advisory) }

    public func problems() -> [String] {
        var p: [String] = []
        func check(_ ok: Bool, _ s: String) { if !ok { p.append(s) } }
        check((2...96).contains(gap.minMissingReadings), "gap.minMissingReadings: must be 2…96")
        check((1...72).contains(stuck.minHours), "stuck.minHours: must be 1…72")
        check(spike.factorOverRecentMax > 1, "spike.factorOverRecentMax: must be > 1")
        check((1...400).contains(spike.recentDays) && (1...60).contains(spike.warmupDays), "spike.recentDays: must be 1…400; spike.warmupDays: 1…60")
        check(
            (0...23).contains(leak.nightStartHour) && (1...24).contains(leak.nightEndHour) && leak.nightStartHour < leak.nightEndHour,
            "leak.night…Hour: start must be before end, within 0…24")
        check((3...60).contains(leak.baselineNights), "leak.baselineNights: must be 3…60")
        check((0...1).contains(leak.baselinePercentile), "leak.baselinePercentile: must be 0…1")
        check(leak.gamma >= 0 && leak.absFloorLitresPerHour >= 0, "leak.gamma/absFloorLitresPerHour: must be ≥ 0")
        check(leak.pendingNights >= 1 && leak.keepFiringNights >= 0, "leak.pendingNights ≥ 1, keepFiringNights ≥ 0")
        check(Self.monthDay(heatingOutOfSeason.seasonStart) != nil, "heatingOutOfSeason.seasonStart: must be MM-DD")
        check(Self.monthDay(heatingOutOfSeason.seasonEnd) != nil, "heatingOutOfSeason.seasonEnd: must be MM-DD")
        check(heatingOutOfSeason.factorOverBaseline > 1, "heatingOutOfSeason.factorOverBaseline: must be > 1")
        check(drift.k > 0 && drift.h > 0 && drift.referenceDays >= 7 && drift.warmupDays >= 7, "drift: k, h > 0; referenceDays, warmupDays ≥ 7")
        p += schoolCalendar?.problems() ?? []
        if stuck.occupiedKinds != nil && (schoolCalendar == nil || stuck.occupiedMinHours == nil) {
            p.append("stuck.occupiedKinds: needs stuck.occupiedMinHours and a schoolCalendar")
        }
        if let n = leak.nightStatistic { check(["mean", "minimumHour"].contains(n), "leak.nightStatistic: mean or minimumHour") }
        if let r = drift.resolveDays { check(r >= 1, "drift.resolveDays: must be ≥ 1") }
        if let r = drift.refitDays { check(r >= 7, "drift.refitDays: must be ≥ 7") }
        if let q = silent { check(q.expectedBatchHours > 0 && q.latencyHours >= 0, "silent: expectedBatchHours > 0, latencyHours ≥ 0") }
        if let h = stuck.constantDeltaHours { check((1...72).contains(h), "stuck.constantDeltaHours: must be 1…72") }
        if let w = stuck.constantSlotWeeks {
            check((1...HourOfWeekConstancy.maxWeeks).contains(w), "stuck.constantSlotWeeks: must be 1…\(HourOfWeekConstancy.maxWeeks)")
            check((1...w).contains(stuck.constantSlotMinWeeks ?? 0), "stuck.constantSlotMinWeeks: must be 1…constantSlotWeeks")
            check(stuck.constantDeltaHours != nil, "stuck.constantSlotWeeks: needs stuck.constantDeltaHours")
        } else if stuck.constantSlotMinWeeks != nil || stuck.constantAtRestKinds != nil {
            p.append("stuck.constantSlotMinWeeks, constantAtRestKinds: need stuck.constantSlotWeeks")
        }
        for (kind, v) in spike.minPerHour ?? [:] {
            check(MeterKind(rawValue: kind) != nil && v > 0, "spike.minPerHour.\(kind): must be a meter kind with a rate > 0")
        }
        if let o = outOfHours {
            for (name, h) in [("heatingHours", o.heatingHours), ("electricityHours", o.electricityHours)]
            where h.count != 2 || h[0] >= h[1] || h.contains(where: { !(0...24).contains($0) }) {
                p.append("outOfHours.\(name): must be [from, to) within 0…24")
            }
            check(
                o.baselineDays >= 3 && (1...o.baselineDays).contains(o.minReferenceDays),
                "outOfHours: baselineDays ≥ 3, minReferenceDays 1…baselineDays")
            check(o.factorOverBaseline > 1 && o.minShareOfInUse >= 0, "outOfHours: factorOverBaseline > 1, minShareOfInUse ≥ 0")
            check(o.pendingDays >= 1 && o.keepFiringDays >= 0, "outOfHours: pendingDays ≥ 1, keepFiringDays ≥ 0")
            check(schoolCalendar != nil, "outOfHours: needs a schoolCalendar (closed days)")
        }
        if let share = rolloverNearMaxShare { check(share > 0 && share < 1, "rolloverNearMaxShare: must be between 0 and 1") }
        for (kind, v) in implausibleDelta?.maxPerHour ?? [:] {
            check(MeterKind(rawValue: kind) != nil, "implausibleDelta.maxPerHour.\(kind): not a meter kind")
            check(v > 0, "implausibleDelta.maxPerHour.\(kind): must be > 0")
        }
        return p
    }

    static func monthDay(_ s: String) -> Int? {
        let f = s.split(separator: "-")
        guard f.count == 2, let m = Int(f[0]), let d = Int(f[1]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return m * 100 + d
    }
}
