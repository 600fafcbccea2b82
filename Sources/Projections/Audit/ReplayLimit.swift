import Domain
import EventLog
import Foundation

/// How far a replay goes, on one of the two clocks auditors ask about:
/// - **recorded**: what Presidio knew at an instant — every event recorded at or before it (the
///   log is in recorded order, so the replay stops at the first one after);
/// - **observed**: the facts observed at or before an instant, whenever they were recorded
///   (a late survey counts at its observation date) — every event whose `observedAt` is at or
///   before it, read to the head (or the position limit). A date without a time counts at the
///   start of its day (UTC); an event without `observedAt` counts at its recorded time.
public struct ReplayLimit: Sendable, Hashable, Codable {
    public enum Clock: String, Sendable, Codable, CaseIterable { case recorded, observed }

    /// Last log position applied (nil: the head).
    public var position: UInt64?
    /// Microseconds since 1970, on `clock` (nil: no time limit).
    public var time: Int64?
    public var clock: Clock

    public init(position: UInt64? = nil, time: Int64? = nil, clock: Clock = .recorded) {
        self.position = position
        self.time = time
        self.clock = clock
    }

    public static let head = ReplayLimit()

    /// Whether the replay stops before `e` (and everything after it).
    func stops(before e: RecordedEvent) -> Bool {
        if let position, e.position > position { return true }
        if clock == .recorded, let time, e.recordedAt > time { return true }
        return false
    }

    /// Whether `e` is applied (the observed clock leaves out facts observed after the instant).
    func includes(_ e: RecordedEvent) -> Bool {
        guard clock == .observed, let time else { return true }
        return (Self.observedAt(e) ?? e.recordedAt) <= time
    }

    /// The event's `observedAt` in microseconds, if its payload has a readable one.
    public static func observedAt(_ e: RecordedEvent) -> Int64? {
        guard let text = e.payloadString("observedAt"), let date = DomainTime.dateTime(text) ?? DomainTime.date(text) else { return nil }
        return AuditTime.micros(date)
    }
}

extension ReplayLimit {
    /// `asOf` as auditors type it: a log position (digits), an RFC 3339 time, or a date
    /// (`YYYY-MM-DD`, its start in UTC); nil means the head. The error names what is wrong.
    public static func parse(asOf: String?, clock: String) -> Result<ReplayLimit, AuditInputError> {
        guard let c = Clock(rawValue: clock) else {
            return .failure(AuditInputError(field: "clock", reason: "must be recorded or observed (got '\(clock.prefix(40))')"))
        }
        guard let asOf else { return .success(ReplayLimit(clock: c)) }
        if !asOf.isEmpty, asOf.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let p = UInt64(asOf) else { return .failure(AuditInputError(field: "asOf", reason: "position too large")) }
            if c == .observed { return .failure(AuditInputError(field: "clock", reason: "the observed clock takes a time, not a log position")) }
            return .success(ReplayLimit(position: p, clock: c))
        }
        guard let t = parseTime(asOf) else {
            return .failure(
                AuditInputError(field: "asOf", reason: "must be a log position, an RFC 3339 time or a YYYY-MM-DD date (got '\(asOf.prefix(40))')"))
        }
        return .success(ReplayLimit(time: t, clock: c))
    }

    /// An RFC 3339 time or a date (its start, UTC), in microseconds.
    public static func parseTime(_ s: String) -> Int64? {
        (DomainTime.dateTime(s) ?? DomainTime.date(s)).map(AuditTime.micros)
    }

    /// `--rules bridges/v2` (repeatable): rule-set name → version, for what-if replays.
    public static func parseVersions(_ values: [String]) -> Result<[String: Int], AuditInputError> {
        var out: [String: Int] = [:]
        for v in values {
            let parts = v.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, ProjectionSet.names.contains(String(parts[0])), parts[1].hasPrefix("v"), let n = Int(parts[1].dropFirst()), n >= 1
            else {
                return .failure(
                    AuditInputError(
                        field: "rules",
                        reason: "must be NAME/vN with NAME one of \(ProjectionSet.names.joined(separator: ", ")) (got '\(v.prefix(40))')"))
            }
            out[String(parts[0])] = n
        }
        return .success(out)
    }
}

/// Bad input to an audit command or route: the field and the reason.
public struct AuditInputError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var reason: String
    /// Well formed but out of range (the API's problem code says which).
    public var range = false
    public var description: String { "\(field): \(reason)" }
}
