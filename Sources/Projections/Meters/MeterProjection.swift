import Domain
import EventLog
import Foundation

/// School meters: data quality (gaps, counter regressions, rollovers, stuck registers, silent
/// gateways), consumption anomalies (night-flow leaks, spikes, heating out of season,
/// consumption out of hours, drift), each with its alert lifecycle (`DetectorPhase`).
///
/// Readings are handled by their timestamps (issue 16, meters 1): a batch may cover part of a
/// day, a day or several days, start at any minute, and come from a 15-minute or an hourly
/// meter. Each reading's delta lands in the slot of the local day (the rule set's time zone,
/// DST included) it was consumed in; a day's consumption detectors run once the day is whole
/// or a later day has begun. A day with missing data inhibits them: no data must never read
/// as "fine".
public struct MeterProjection: Projection {
    public let name = "meters"
    /// 2: buildings kept (name, municipality, location) for the GeoJSON layer; 3: poison events
    /// parked; 4: a register that goes backwards is data (rollover or regression by where it
    /// dropped from), implausible deltas are flagged, and neither books consumption; 5:
    /// readings by timestamp into local days, a lifecycle value per detector, out-of-hours.
    public let codeVersion = 5
    public let rules: MeterRules
    public var ruleSet: RuleSetInfo { rules.info }
    public let categories: Set<String> = ["meter", "building", "tariff"]
    /// Local time of the rule set's calendar (UTC for rule sets without one).
    let clock: LocalClock
    /// The heating season's first and last day as month·100 + day, read once from the rules.
    let seasonStart: Int
    let seasonEnd: Int
    /// Per-kind rates of the rules, read once (`[kind.rawValue]` hashed a string per batch):
    /// the physical maximum per hour (nil: none) and the least rate a repeat counts at.
    let maxPerHour: KindTable<Double?>
    let constantDeltaMinPerHour: KindTable<Double>
    /// The school's open minutes of a day (nil: no calendar), read once.
    let openMinutes: Range<Int>?
    /// Whether plain batches are booked in the plain loop (`readings`); tests turn it off to
    /// check that the reading-by-reading path gives the same state.
    var plainRuns = true

    public init(rules: MeterRules) {
        self.rules = rules
        clock = LocalClock.named(rules.schoolCalendar?.timeZone ?? "UTC") ?? LocalClock.named("UTC")!
        seasonStart = MeterRules.monthDay(rules.heatingOutOfSeason.seasonStart) ?? 1015
        seasonEnd = MeterRules.monthDay(rules.heatingOutOfSeason.seasonEnd) ?? 415
        maxPerHour = KindTable { rules.implausibleDelta?.maxPerHour[$0.rawValue] }
        constantDeltaMinPerHour = KindTable { rules.stuck.constantDeltaMinPerHour?[$0.rawValue] ?? 0 }
        openMinutes = rules.schoolCalendar.map { c in (c.openHours[0] * 60)..<max(c.openHours[0] * 60, c.openHours[1] * 60) }
    }

    /// A value for each meter kind, looked up without hashing.
    struct KindTable<Value: Sendable>: Sendable {
        private let values: [Value]
        init(_ make: (MeterKind) -> Value) {
            precondition(MeterKind.allCases == [.electricity, .gas, .districtHeat, .water], "KindTable: the kinds' order changed")
            values = MeterKind.allCases.map(make)
        }
        subscript(kind: MeterKind) -> Value {
            switch kind {
            case .electricity: values[0]
            case .gas: values[1]
            case .districtHeat: values[2]
            case .water: values[3]
            }
        }
    }

    /// Whether a local day falls in the heating season.
    func inHeatingSeason(_ localDay: Int) -> Bool {
        let c = LocalClock.civil(localDay)
        let md = c.month * 100 + c.day
        return seasonStart > seasonEnd ? (md >= seasonStart || md <= seasonEnd) : (md >= seasonStart && md <= seasonEnd)
    }

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
        /// UTC second of the last reading (missing or not): where the next one continues; nil
        /// before the first batch (an installation promises no reading until then).
        public var lastTime: Int64?
        /// Local days closed so far (the warm-up counts these).
        public var days = 0
        /// The local day being filled, slot by slot (`.none` between days).
        public var open = MeterDay.none
        /// Consecutive missing readings, and the gap lifecycle.
        public var missingRun = 0
        public var gap = DetectorPhase.inactive
        /// Consecutive zero deltas (stuck register) and, of those, the ones in occupied hours.
        public var zeroRun = 0
        public var occupiedZeroRun = 0
        /// v1: a meter seen idling that long during its first weeks was never called stuck.
        public var idles = false
        public var stuck = DetectorPhase.inactive
        /// The last interval delta and how many in a row were the same (a repeating gateway),
        /// and whether the firing stuck alert is of that kind.
        public var lastDelta: Double = 0
        public var sameDeltaRun = 0
        public var stuckRepeating = false
        /// The least delta a repeat counts at (the rule's rate for this kind and interval; set
        /// per batch, so the per-reading check does no lookup).
        public var constantDeltaLeast: Double = 0
        /// v4 on: the local hours of the week this meter's values were seen repeat in.
        public var constancy: HourOfWeekConstancy?
        /// Largest interval delta of each recent day (spike baseline), and the last two slots
        /// of the last closed day with the time their last reading was taken: they are judged
        /// for spikes once the next day gives them neighbours on the right.
        public var recentMax: [Double] = []
        public var spikeTail: [Double] = []
        public var spikeTailEnd: Int64 = 0
        /// Night flows (L/h) of recent clean nights, and the leak lifecycle.
        public var nights: [Double] = []
        public var leak = DetectorPhase.inactive
        /// Out-of-season daily totals, and the heating lifecycle.
        public var offSeason: [Double] = []
        public var heating = DetectorPhase.inactive
        /// Hourly rates out of hours (school-day nights; closed days) and in use, and the
        /// out-of-hours lifecycle.
        public var nightRates: [Double] = []
        public var closedRates: [Double] = []
        public var inUseRates: [Double] = []
        public var outOfHours = DetectorPhase.inactive
        /// Daily totals by day class (occupied / unoccupied) and a CUSUM per class.
        public var occupiedRef: [Double] = []
        public var idleRef: [Double] = []
        public var cusumOccupied: Double = 0
        public var cusumIdle: Double = 0
        public var drift = DetectorPhase.inactive
        /// The day class (occupied: true) whose sum raised the firing drift: only its days can
        /// resolve it (a calm weekday says nothing of a weekend shift).
        public var driftOccupied: Bool?
        /// Days the firing drift has persisted.
        public var driftDays = 0
        /// Day totals while a drift fires, by day class: the reference a refit takes.
        public var driftRecentOccupied: [Double] = []
        public var driftRecentIdle: [Double] = []
        /// When the log recorded the meter's last batch (µs), and the silence lifecycle.
        public var lastBatch: Int64?
        public var silent = DetectorPhase.inactive
    }

    public func initialState() -> State { State() }

    func advisory(_ r: String) -> Bool { rules.advisory.contains(r) }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        sweepSilence(now: event.recordedAt, position: event.position, state: &s)
        // Readings first: they are nearly every event, and each failed cast costs a lookup.
        if let r = decoded as? MeterReadingsRecorded {
            // Taken out of the table while it is worked on, so its arrays are not shared (and
            // copied on the first write).
            guard var m = s.meters.removeValue(forKey: r.meterId) else { throw CannotApply.unknown("meter", r.meterId, "installation") }
            m.lastBatch = event.recordedAt
            if let a = m.silent.reset() {
                s.resolve(a, reason: "a batch arrived at \(Self.instant(event.recordedAt))", on: Self.day(event.recordedAt), position: event.position)
            }
            readings(r, event: event, meter: &m, state: &s)
            s.meters[r.meterId] = consume m
            return
        }
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
        default: break
        }
    }

    // MARK: Silent meters

    static func instant(_ micros: Int64) -> String { DomainTime.timestampString(Date(timeIntervalSince1970: Double(micros) / 1e6)) }
    /// A reading time (UTC seconds) as alerts quote it.
    static func stamp(_ seconds: Int64) -> String { DomainTime.timestampString(unixSeconds: seconds) }
    static func day(_ micros: Int64) -> String { String(instant(micros).prefix(10)) }

    /// Meters whose batches stopped arriving, on the log's clock: at most every 15 minutes of
    /// log time, every meter whose last batch is older than the expected period plus latency.
    func sweepSilence(now: Int64, position: UInt64, state s: inout State) {
        guard let q = rules.silent, now >= s.lastSweep + 15 * 60_000_000 else { return }
        s.lastSweep = now
        let limit = Int64((q.expectedBatchHours + q.latencyHours) * 3_600_000_000)
        for (id, m) in s.meters where m.silent.isInactive {
            guard let last = m.lastBatch, now - last > limit else { continue }
            let alertID = "meter-\(id).silent.\(position)"
            s.raise(
                alertID, rule: "meter.silent", asset: "meter-\(id)", severity: q.severity,
                evidence: String(
                    format: "no batch since %@ (%.0f h by the log's clock; expected every %.0f h, %.0f h of latency allowed); last reading %@",
                    Self.instant(last), Double(now - last) / 3_600_000_000, q.expectedBatchHours, q.latencyHours, m.lastAt ?? "none"),
                ruleSet: ruleSet, advisory: advisory("silent"), on: Self.day(now), at: Self.instant(now), position: position)
            s.meters[id]?.silent.fired(AlertText.id(alertID))
        }
    }
}
