import Domain
import Foundation

/// When a school is open, from the rule file (issue 16: windows in Europe/Rome local time, DST
/// included; holidays by date, Easter by its offset): what "occupied hours" mean to the
/// detectors. The exact dates change every year by regional decree, so they are data, [I].
public struct SchoolCalendarRule: Codable, Sendable {
    public var timeZone: String
    /// Local opening hours, [from, to).
    public var openHours: [Int]
    /// Closed periods as ["MM-DD", "MM-DD"], inclusive; a range may wrap the new year.
    public var closedRanges: [[String]]
    /// Closed days ("MM-DD").
    public var holidays: [String]
    /// Days around Easter Sunday the schools close, [from, to] (e.g. [-3, 1]).
    public var easterBreak: [Int]

    /// The closures and holidays as MMDD numbers, parsed once (the detectors ask for every
    /// meter and day).
    private var closedMonthDays: [(Int, Int)] = []
    private var holidayMonthDays: Set<Int> = []

    enum CodingKeys: String, CodingKey { case timeZone, openHours, closedRanges, holidays, easterBreak }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeZone = try c.decode(String.self, forKey: .timeZone)
        openHours = try c.decode([Int].self, forKey: .openHours)
        closedRanges = try c.decode([[String]].self, forKey: .closedRanges)
        holidays = try c.decode([String].self, forKey: .holidays)
        easterBreak = try c.decode([Int].self, forKey: .easterBreak)
        closedMonthDays = closedRanges.compactMap { r in
            guard r.count == 2, let a = MeterRules.monthDay(r[0]), let b = MeterRules.monthDay(r[1]) else { return nil }
            return (a, b)
        }
        holidayMonthDays = Set(holidays.compactMap(MeterRules.monthDay))
    }

    func problems() -> [String] {
        var p: [String] = []
        if TimeZone(identifier: timeZone) == nil { p.append("schoolCalendar.timeZone: unknown time zone '\(timeZone)'") }
        if openHours.count != 2 || openHours[0] >= openHours[1] || openHours.contains(where: { !(0...24).contains($0) }) {
            p.append("schoolCalendar.openHours: must be [from, to) within 0…24")
        }
        for r in closedRanges where r.count != 2 || r.contains(where: { MeterRules.monthDay($0) == nil }) {
            p.append("schoolCalendar.closedRanges: each must be [\"MM-DD\", \"MM-DD\"] (got \(r))")
        }
        for h in holidays where MeterRules.monthDay(h) == nil { p.append("schoolCalendar.holidays: '\(h)' is not MM-DD") }
        if easterBreak.count != 2 || easterBreak[0] > easterBreak[1] { p.append("schoolCalendar.easterBreak: must be [from, to]") }
        return p
    }

    /// Local wall-clock reading of an instant: the day's key and the minute of the day.
    public struct Local: Hashable, Sendable {
        public var year: Int
        public var month: Int
        public var day: Int
        public var weekday: Int
        public var minute: Int
    }

    public func local(_ d: Date) -> Local {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: d)
        return Local(year: c.year!, month: c.month!, day: c.day!, weekday: c.weekday!, minute: c.hour! * 60 + c.minute!)
    }

    /// Whether the school is open on that local day (weekdays outside closures and holidays).
    public func isSchoolDay(_ l: Local) -> Bool {
        isSchoolDay(day: LocalClock.dayNumber(year: l.year, month: l.month, day: l.day))
    }

    /// Whether the school is open on local day `day` (days since 1970-01-01): integer
    /// arithmetic only, as the detectors ask it for every meter and day.
    public func isSchoolDay(day: Int) -> Bool {
        let weekday = LocalClock.weekday(day)
        if weekday == 1 || weekday == 7 { return false }
        let c = LocalClock.civil(day)
        let md = c.month * 100 + c.day
        for (a, b) in closedMonthDays where a <= b ? (md >= a && md <= b) : (md >= a || md <= b) { return false }
        if holidayMonthDays.contains(md) { return false }
        let offset = day - LocalClock.easter(c.year)
        return !(easterBreak.count == 2 && offset >= easterBreak[0] && offset <= easterBreak[1])
    }

    /// Whether local minute-of-day `minute` is within the opening hours.
    public func isOpen(minute: Int) -> Bool { minute >= openHours[0] * 60 && minute < openHours[1] * 60 }
}
