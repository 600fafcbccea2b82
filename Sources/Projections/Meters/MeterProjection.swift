import Domain
import EventLog
import Foundation

/// School meters: data quality (gaps, counter regressions, rollovers, stuck registers),
/// consumption anomalies (night-flow leaks, spikes, heating out of season, drift) and their
/// alert state machines (pending → firing → resolving → resolved). A gap inhibits the
/// consumption detectors for the day it touches: no data must never read as "fine".
public struct MeterProjection: Projection {
    public let name = "meters"
    /// 2: buildings kept (name, municipality, location) for the GeoJSON layer; 3: poison events
    /// parked; 4: a register that goes backwards is data (rollover or regression by where it
    /// dropped from), implausible deltas are flagged, and neither books consumption.
    public let codeVersion = 4
    public let rules: MeterRules
    public var ruleSet: RuleSetInfo { rules.info }
    public let categories: Set<String> = ["meter", "building", "tariff"]

    public init(rules: MeterRules) { self.rules = rules }

    public struct State: Codable, Sendable, Equatable, AlertHolding {
        public var meters: [String: Meter] = [:]
        public var floorArea: [String: Double] = [:]
        /// Registered buildings: what the map layer and the asset list show.
        public var buildings: [String: Building] = [:]
        /// Price per unit by meter kind (latest TariffSet), to cost leaks.
        public var tariffs: [String: Double] = [:]
        public var alerts: [String: AlertRecord] = [:]
        public var parked = ParkedEvents()
        /// The log time (recordedAt, µs) of the last sweep for silent meters.
        public var lastSweep: Int64 = 0
    }

    public struct Building: Codable, Sendable, Equatable {
        public var buildingId: String
        public var name: String
        public var municipality: String
        public var location: GeoPoint
        public var floorAreaM2: Double
    }

    /// Everything a meter's detectors remember between batches (bounded windows only).
    public struct Meter: Codable, Sendable, Equatable {
        public var meterId: String
        public var buildingId: String
        public var kind: MeterKind
        public var usage: MeterUsage
        public var registerDigits: Int
        public var interval: Int
        public var lastValue: Double?
        public var lastAt: String?
        public var days = 0
        /// Consecutive missing readings, and the gap alert they opened.
        public var missingRun = 0
        public var gapAlert: String?
        /// Consecutive zero deltas (stuck register), and its alert. A meter seen idling that
        /// long during its first weeks (a heat pump in summer) is never called stuck.
        public var zeroRun = 0
        /// Of `zeroRun`, the intervals in occupied hours (school open).
        public var occupiedZeroRun = 0
        public var idles = false
        public var stuckAlert: String?
        /// Largest interval delta of each recent day (spike baseline).
        public var recentMax: [Double] = []
        /// Night flows (L/h) of recent clean nights, and the leak machine.
        public var nights: [Double] = []
        public var leakPending = 0
        public var leakClear = 0
        public var leakAlert: String?
        /// Out-of-season daily totals, and the heating machine.
        public var offSeason: [Double] = []
        public var heatPending = 0
        public var heatAlert: String?
        /// Daily totals by day class (occupied / unoccupied) and a CUSUM per class.
        public var occupiedRef: [Double] = []
        public var idleRef: [Double] = []
        public var cusumOccupied: Double = 0
        public var cusumIdle: Double = 0
        public var driftAlert: String?
        /// The day class (occupied: true) whose sum raised the firing drift: only its days can
        /// resolve it (a calm weekday says nothing of a weekend shift).
        public var driftOccupied: Bool?
        /// Days the firing drift has been back near the reference, and days it has persisted.
        public var driftCalm = 0
        public var driftDays = 0
        /// Day totals while a drift fires, by day class: the reference a refit takes.
        public var driftRecentOccupied: [Double] = []
        public var driftRecentIdle: [Double] = []
        /// When the log recorded the meter's last batch (µs), and the silence it opened.
        public var lastBatch: Int64?
        public var silentAlert: String?
    }

    public func initialState() -> State { State() }

    func advisory(_ r: String) -> Bool { rules.advisory.contains(r) }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        sweepSilence(now: event.recordedAt, position: event.position, state: &s)
        switch decoded {
        case let b as BuildingRegistered:
            s.floorArea[b.buildingId] = b.floorAreaM2
            s.buildings[b.buildingId] = Building(
                buildingId: b.buildingId, name: b.name, municipality: b.municipality, location: b.location, floorAreaM2: b.floorAreaM2)
        case let t as TariffSet:
            s.tariffs[t.kind.rawValue] = t.pricePerUnitEUR
        case let m as MeterInstalled:
            s.meters[m.meterId] = Meter(
                meterId: m.meterId, buildingId: m.buildingId, kind: m.kind,
                usage: m.usage ?? (m.kind == .water ? .water : m.kind == .electricity ? .general : .heating), registerDigits: m.registerDigits,
                interval: m.intervalMinutes,
                lastValue: m.initialReading, lastAt: m.observedAt, lastBatch: event.recordedAt)
        case let r as MeterReplaced:
            guard s.meters[r.meterId] != nil else { throw CannotApply.unknown("meter", r.meterId, "installation") }
            s.meters[r.meterId]?.lastValue = r.newInitialReading
            s.meters[r.meterId]?.registerDigits = r.registerDigits
        case let r as MeterReadingsRecorded:
            guard var m = s.meters[r.meterId] else { throw CannotApply.unknown("meter", r.meterId, "installation") }
            m.lastBatch = event.recordedAt
            if let a = m.silentAlert {
                s.resolve(a, reason: "a batch arrived at \(Self.instant(event.recordedAt))", on: Self.day(event.recordedAt), position: event.position)
                m.silentAlert = nil
            }
            readings(r, event: event, meter: &m, state: &s)
            s.meters[r.meterId] = m
        default: break
        }
    }

    // MARK: Silent meters

    static func instant(_ micros: Int64) -> String { DomainTime.timestampString(Date(timeIntervalSince1970: Double(micros) / 1e6)) }
    static func day(_ micros: Int64) -> String { String(instant(micros).prefix(10)) }

    /// Meters whose batches stopped arriving, on the log's clock: at most every 15 minutes of
    /// log time, every meter whose last batch is older than the expected period plus latency.
    func sweepSilence(now: Int64, position: UInt64, state s: inout State) {
        guard let q = rules.silent, now >= s.lastSweep + 15 * 60_000_000 else { return }
        s.lastSweep = now
        let limit = Int64((q.expectedBatchHours + q.latencyHours) * 3_600_000_000)
        for (id, m) in s.meters where m.silentAlert == nil {
            guard let last = m.lastBatch, now - last > limit else { continue }
            let alertID = "meter-\(id).silent.\(position)"
            s.raise(
                alertID, rule: "meter.silent", asset: "meter-\(id)", severity: q.severity,
                evidence: String(
                    format: "no batch since %@ (%.0f h by the log's clock; expected every %.0f h, %.0f h of latency allowed); last reading %@",
                    Self.instant(last), Double(now - last) / 3_600_000_000, q.expectedBatchHours, q.latencyHours, m.lastAt ?? "none"),
                ruleSet: ruleSet, advisory: advisory("silent"), on: Self.day(now), at: Self.instant(now), position: position)
            s.meters[id]?.silentAlert = AlertText.id(alertID)
        }
    }

    // MARK: One day of readings

    func readings(_ r: MeterReadingsRecorded, event: RecordedEvent, meter m: inout Meter, state s: inout State) {
        guard let start = DomainTime.dateTime(r.observedAt) else { return }
        let stream = event.stream
        let day = String(r.observedAt.prefix(10))
        let step = Double(r.intervalMinutes * 60)
        func at(_ i: Int) -> String { DomainTime.timestampString(start.addingTimeInterval(step * Double(i))) }
        let resets = Dictionary((r.resets ?? []).map { ($0.index, $0.kind) }, uniquingKeysWith: { a, _ in a })
        let registerMax = pow(10, Double(m.registerDigits))
        var deltas = [Double?](repeating: nil, count: r.readings.count)
        var gapToday = false
        var discontinuity = false
        var previous = m.lastValue
        var missingBefore = m.missingRun
        for (i, value) in r.readings.enumerated() {
            guard let v = value else {
                missingBefore += 1
                m.missingRun += 1
                if m.missingRun >= rules.gap.minMissingReadings && m.gapAlert == nil {
                    let first = i - m.missingRun + 1
                    let id = "\(stream).gap.\(event.position).\(max(0, first))"
                    s.raise(
                        id, rule: "meter.gap", asset: stream, severity: rules.gap.severity,
                        evidence: "no reading since \(first >= 0 ? at(first) : "the previous batch")",
                        ruleSet: ruleSet, advisory: advisory("gap"), on: day, at: first >= 0 ? at(first) : at(0), position: event.position)
                    m.gapAlert = id
                }
                gapToday = true
                continue
            }
            if let g = m.gapAlert {
                s.resolve(g, reason: "readings resumed at \(at(i)) after \(m.missingRun) missing", on: day, position: event.position)
                m.gapAlert = nil
            }
            m.missingRun = 0
            // The register's steps: a declared reset, an unmarked drop, or a delta; drops and
            // implausible deltas are events on the meter and book no consumption.
            let nearMax = registerMax * (1 - (rules.rolloverNearMaxShare ?? 1))
            var kind = resets[i]
            var note = kind.map { "declared \($0.rawValue)" } ?? ""
            if kind == .rollover, let p = previous, rules.rolloverNearMaxShare != nil, p < nearMax {
                kind = .meterSwap
                note = "declared rollover, but from \(p) \(m.kind.unit), far below the register's maximum: read as a regression"
            } else if kind == nil, let p = previous, v < p {
                let wrapped = v + registerMax - p
                if rules.rolloverNearMaxShare != nil && p >= nearMax && wrapped <= maxDelta(m, intervals: missingBefore + 1) {
                    kind = .rollover
                    note = "unmarked rollover"
                } else {
                    kind = .meterSwap
                    note = "unmarked drop: no consumption booked across it"
                }
            }
            if let kind {
                discontinuity = true
                let rule = kind == .rollover ? "meter.rollover" : "meter.counterRegression"
                let id = "\(stream).\(kind == .rollover ? "rollover" : "counterRegression").\(event.position).\(i)"
                s.raise(
                    id, rule: rule, asset: stream, severity: kind == .rollover ? rules.rollover.severity : rules.counterRegression.severity,
                    evidence: "register went from \(previous.map { "\($0) \(m.kind.unit)" } ?? "?") to \(v) \(m.kind.unit) at \(at(i)) (\(note))",
                    ruleSet: ruleSet,
                    advisory: false, on: day, at: at(i), position: event.position)
                s.resolve(id, reason: "point event", on: day, position: event.position)
                if kind == .rollover, let p = previous { deltas[i] = v + registerMax - p }
            } else if let p = previous {
                // After missing readings the register delta covers the whole gap: spread it
                // (a closed gap is not a spike).
                deltas[i] = max(0, v - p) / Double(missingBefore + 1)
            }
            if let d = deltas[i], d * Double(missingBefore + 1) > maxDelta(m, intervals: missingBefore + 1) {
                discontinuity = true
                let id = "\(stream).implausibleDelta.\(event.position).\(i)"
                s.raise(
                    id, rule: "meter.implausibleDelta", asset: stream, severity: rules.implausibleDelta?.severity ?? .warning,
                    evidence: String(
                        format: "%.3f %@ in %d min at %@: more than this %@ meter can deliver (%.0f %@/h); booked as no consumption",
                        d * Double(missingBefore + 1), m.kind.unit, m.interval * (missingBefore + 1), at(i), m.kind.rawValue,
                        rules.implausibleDelta?.maxPerHour[m.kind.rawValue] ?? 0, m.kind.unit),
                    ruleSet: ruleSet, advisory: advisory("implausibleDelta"), on: day, at: at(i), position: event.position)
                s.resolve(id, reason: "point event", on: day, position: event.position)
                deltas[i] = nil
            }
            missingBefore = 0
            previous = v
        }
        m.lastValue = previous
        m.lastAt = at(r.readings.count - 1)
        m.days += 1

        stuck(deltas, start: start, at: at, day: day, stream: stream, position: event.position, meter: &m, state: &s)
        var spikedToday = false
        if !gapToday {
            let spiked = spikes(deltas, at: at, day: day, stream: stream, position: event.position, meter: &m, state: &s)
            if m.kind == .water { leak(deltas, start: start, day: day, stream: stream, position: event.position, meter: &m, state: &s) }
            if m.usage == .heating {
                heating(deltas, start: start, day: day, stream: stream, position: event.position, meter: &m, state: &s)
            }
            spikedToday = spiked
            // A spike or a reset would read as a shift of the day's total: such days do not feed the drift.
            if m.kind == .electricity && m.usage != .heating && !spiked && !discontinuity && m.stuckAlert == nil {
                drift(deltas, day: day, stream: stream, position: event.position, meter: &m, state: &s)
            }
        }
        let dayMax = deltas.compactMap { $0 }.max() ?? 0
        if !gapToday && m.stuckAlert == nil && !spikedToday {
            m.recentMax.append(dayMax)
            if m.recentMax.count > rules.spike.recentDays { m.recentMax.removeFirst(m.recentMax.count - rules.spike.recentDays) }
        }
    }

    /// The most a meter can deliver over `intervals` readings (the rule set's physical maximum;
    /// unbounded without one).
    func maxDelta(_ m: Meter, intervals: Int) -> Double {
        guard let perHour = rules.implausibleDelta?.maxPerHour[m.kind.rawValue] else { return .infinity }
        return perHour * Double(m.interval * intervals) / 60
    }

    /// A register that does not move: for `minHours` on a kind that always consumes, or for
    /// `occupiedMinHours` of occupied hours (school open, local time) on the kinds where that is
    /// abnormal (water while pupils are in). Under a rule set with a school calendar, the
    /// first weeks only teach (no alert), and no idle stretch exempts a meter for ever.
    func stuck(
        _ deltas: [Double?], start: Date, at: (Int) -> String, day: String, stream: String, position: UInt64, meter m: inout Meter,
        state s: inout State
    ) {
        let calendar = rules.schoolCalendar
        let always = rules.stuck.kinds.contains(m.kind) && (calendar == nil || m.usage != .heating)
        // A heating meter (a heat pump's electricity) may rest while the school is open.
        let occupiedKind = calendar != nil && rules.stuck.occupiedKinds?.contains(m.kind) == true && m.usage != .heating
        guard always || occupiedKind else { return }
        let occupied = occupiedKind ? calendar?.occupied(start: start, intervalMinutes: m.interval, count: deltas.count) : nil
        let needed = Int(rules.stuck.minHours * 60) / m.interval
        let neededOccupied = Int((rules.stuck.occupiedMinHours ?? rules.stuck.minHours) * 60) / m.interval
        for (i, d) in deltas.enumerated() {
            guard let d else { continue }
            if d == 0 {
                m.zeroRun += 1
                if occupied?[i] == true { m.occupiedZeroRun += 1 }
                let learning: Bool
                if calendar == nil {
                    // v1: a meter seen idling that long in its first weeks was never called stuck.
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
                let flatOccupied = occupied != nil && m.occupiedZeroRun >= neededOccupied
                if (flat || flatOccupied) && m.stuckAlert == nil && !learning {
                    let first = i - m.zeroRun + 1
                    let id = "\(stream).stuck.\(position).\(i)"
                    let what =
                        flat
                        ? "register unchanged for \(rules.stuck.minHours) h"
                        : "register unchanged for \(rules.stuck.occupiedMinHours ?? 0) h of school hours (\(m.kind.rawValue) always flows while the school is open)"
                    s.raise(
                        id, rule: "meter.stuck", asset: stream, severity: rules.stuck.severity,
                        evidence: "\(what) (since \(first >= 0 ? at(first) : "the previous batch"))",
                        ruleSet: ruleSet,
                        advisory: advisory("stuck"), on: day, at: at(i), position: position)
                    m.stuckAlert = id
                }
            } else {
                m.zeroRun = 0
                m.occupiedZeroRun = 0
                if let a = m.stuckAlert {
                    s.resolve(a, reason: "register moving again at \(at(i))", on: day, position: position)
                    m.stuckAlert = nil
                }
            }
        }
    }

    /// One interval far above anything the meter did recently. Returns whether any was found.
    @discardableResult
    func spikes(_ deltas: [Double?], at: (Int) -> String, day: String, stream: String, position: UInt64, meter m: inout Meter, state s: inout State)
        -> Bool
    {
        guard m.days > rules.spike.warmupDays, let recent = m.recentMax.max(), recent > 0 else { return false }
        var found = false
        for (i, d) in deltas.enumerated() {
            guard let d, d > rules.spike.factorOverRecentMax * recent else { continue }
            // Isolated: far above its neighbours too, so a day simply busier than the recent ones
            // (school reopening after the summer) is not a spike.
            let neighbours = (max(0, i - 2)...min(deltas.count - 1, i + 2)).filter { $0 != i }.compactMap { deltas[$0] }
            guard let nearMax = neighbours.max(), d > rules.spike.factorOverRecentMax * nearMax else { continue }
            let id = "\(stream).spike.\(position).\(i)"
            s.raise(
                id, rule: "meter.spike", asset: stream, severity: rules.spike.severity,
                evidence: String(
                    format: "%.3f %@ in %d min at %@: %.1f× the largest interval of the last %d days", d, m.kind.unit, m.interval, at(i), d / recent,
                    rules.spike.recentDays),
                ruleSet: ruleSet, advisory: advisory("spike"), on: day, at: at(i), position: position)
            s.resolve(id, reason: "single interval", on: day, position: position)
            found = true
        }
        return found
    }

    /// Minimum night flow against the recent clean nights (a leak runs day and night).
    func leak(_ deltas: [Double?], start: Date, day: String, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let q = 60 / m.interval
        let a = rules.leak.nightStartHour * q
        let b = rules.leak.nightEndHour * q
        guard b <= deltas.count else { return }
        let night = deltas[(a + 1)..<min(deltas.count, b + 1)]
        guard night.allSatisfy({ $0 != nil }) else { return }
        let hours = Double(rules.leak.nightEndHour - rules.leak.nightStartHour)
        let values = night.map { $0 ?? 0 }
        let flow: Double  // L/h
        if rules.leak.nightStatistic == "minimumHour" && values.count >= q {
            // The night's minimum rolling hour: a cistern flush or a caretaker's tap does not
            // count, a leak (which runs all night) does.
            var window = values.prefix(q).reduce(0, +)
            var least = window
            for i in q..<values.count {
                window += values[i] - values[i - q]
                least = min(least, window)
            }
            flow = max(0, least) * 1000
        } else {
            flow = values.reduce(0, +) * 1000 / hours
        }
        if m.nights.count >= 7 {
            let sorted = m.nights.sorted()
            let base = sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * rules.leak.baselinePercentile))]
            let trigger = max(base * (1 + rules.leak.gamma), base + rules.leak.absFloorLitresPerHour)
            let rearm = base + rules.leak.absFloorLitresPerHour / 2  // hysteresis
            if m.leakAlert == nil {
                m.leakPending = flow > trigger ? m.leakPending + 1 : 0
                if m.leakPending >= rules.leak.pendingNights {
                    let id = "\(stream).waterLeak.\(position)"
                    let lossPerDay = (flow - base) * 24 / 1000
                    var tariffNote = String(format: "%.0f L/h at night against a baseline of %.1f L/h (≈ %.2f m³/day of loss", flow, base, lossPerDay)
                    if let price = s.tariffs[MeterKind.water.rawValue] {
                        tariffNote += String(format: ", ≈ %.2f €/day at %.2f €/m³)", lossPerDay * price, price)
                    } else {
                        tariffNote += "; no water tariff recorded)"
                    }
                    s.raise(
                        id, rule: "meter.waterLeak", asset: stream, severity: rules.leak.severity, evidence: tariffNote, ruleSet: ruleSet,
                        advisory: advisory("leak"), on: day,
                        at: DomainTime.timestampString(start.addingTimeInterval(Double(b) * Double(m.interval * 60))),
                        position: position)
                    m.leakAlert = id
                    m.leakClear = 0
                }
            } else {
                m.leakClear = flow > rearm ? 0 : m.leakClear + 1
                if m.leakClear > rules.leak.keepFiringNights, let id = m.leakAlert {
                    s.resolve(id, reason: String(format: "night flow back to %.1f L/h", flow), on: day, position: position)
                    m.leakAlert = nil
                    m.leakPending = 0
                }
            }
        }
        // Only clean nights enter the baseline, so a leak cannot become the new normal.
        if m.leakAlert == nil && m.leakPending == 0 {
            m.nights.append(flow)
            if m.nights.count > rules.leak.baselineNights { m.nights.removeFirst(m.nights.count - rules.leak.baselineNights) }
        }
    }

    /// Heat or gas for heating outside the heating season.
    func heating(_ deltas: [Double?], start: Date, day: String, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let c = DomainTime.calendar.dateComponents([.month, .day], from: start)
        guard !rules.inSeason(month: c.month!, day: c.day!) else {
            if let id = m.heatAlert {
                s.resolve(id, reason: "heating season started", on: day, position: position)
                m.heatAlert = nil
            }
            m.heatPending = 0
            return
        }
        let total = deltas.reduce(0) { $0 + ($1 ?? 0) }
        let area = s.floorArea[m.buildingId] ?? 1000
        let sorted = m.offSeason.sorted()
        let base = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let trigger = max(base * rules.heatingOutOfSeason.factorOverBaseline, rules.heatingOutOfSeason.absFloorPerM2 * area)
        if total > trigger {
            m.heatPending += 1
            if m.heatPending >= rules.heatingOutOfSeason.pendingDays && m.heatAlert == nil {
                let id = "\(stream).heatingOutOfSeason.\(position)"
                s.raise(
                    id, rule: "meter.heatingOutOfSeason", asset: stream, severity: rules.heatingOutOfSeason.severity,
                    evidence: String(format: "%.1f %@ on %@, outside the heating season (normal: %.1f)", total, m.kind.unit, day, base),
                    ruleSet: ruleSet,
                    advisory: advisory("heatingOutOfSeason"), on: day, at: DomainTime.timestampString(start.addingTimeInterval(86399)),
                    position: position)
                m.heatAlert = id
            }
        } else {
            m.heatPending = 0
            if let id = m.heatAlert {
                s.resolve(id, reason: String(format: "back to %.1f %@ a day", total, m.kind.unit), on: day, position: position)
                m.heatAlert = nil
            }
            m.offSeason.append(total)
            if m.offSeason.count > rules.heatingOutOfSeason.baselineDays {
                m.offSeason.removeFirst(m.offSeason.count - rules.heatingOutOfSeason.baselineDays)
            }
        }
    }

    /// Tabular CUSUM on daily totals, separately for occupied and idle days (told apart by the
    /// day's own profile), against a reference window that stops learning while the sum grows.
    func drift(_ deltas: [Double?], day: String, stream: String, position: UInt64, meter m: inout Meter, state s: inout State) {
        let values = deltas.compactMap { $0 }
        // Any interval (hourly meters too): a day with at most a tenth of it missing.
        guard values.count * 10 >= deltas.count * 9, values.count >= 20 else { return }
        let total = values.reduce(0, +)
        let q = 60 / m.interval
        let nightMean = (values.prefix(4 * q).reduce(0, +)) / Double(max(1, 4 * q))
        let dayMean = (values.dropFirst(9 * q).prefix(6 * q).reduce(0, +)) / Double(max(1, 6 * q))
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
            if cusum > rules.drift.h && m.driftAlert == nil {
                let id = "\(stream).drift.\(position)"
                s.raise(
                    id, rule: "meter.drift", asset: stream, severity: rules.drift.severity,
                    evidence: String(
                        format: "%@ day total %.1f %@ against a reference of %.1f %@ (+%.0f%%); CUSUM %.1f > %.1f", occupied ? "occupied" : "idle",
                        total, m.kind.unit, median, m.kind.unit, (total / median - 1) * 100, cusum, rules.drift.h),
                    ruleSet: ruleSet, advisory: advisory("drift"), on: day, at: day + "T23:59:59Z", position: position)
                m.driftAlert = id
                m.driftOccupied = occupied
            }
            if let id = m.driftAlert, let resolveDays = rules.drift.resolveDays, m.driftOccupied == occupied {
                // Back within k σ for resolveDays days: resolved (hysteresis), the sum reset.
                // Persisting for refitDays: the reference is refit to the new level, so the
                // sum stops counting a change that is now told (and in the alert's history).
                m.driftDays += 1
                m.driftCalm = abs(z) <= rules.drift.k ? m.driftCalm + 1 : 0
                if m.driftCalm >= resolveDays {
                    s.resolve(id, reason: "day totals back to the reference for \(resolveDays) days", on: day, position: position)
                    (m.driftAlert, m.driftCalm, m.driftDays, cusum) = (nil, 0, 0, 0)
                    (m.driftRecentOccupied, m.driftRecentIdle) = ([], [])
                    // The meter is back: both sums restart (the other class's must not re-raise
                    // what this alert already told).
                    (m.cusumOccupied, m.cusumIdle) = (0, 0)
                } else if let refit = rules.drift.refitDays, m.driftDays >= refit {
                    s.resolve(
                        id, reason: "the reference was refit to the new level after \(refit) days (CUSUM reset)", on: day, position: position)
                    (m.driftAlert, m.driftCalm, m.driftDays, cusum) = (nil, 0, 0, 0)
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
}
