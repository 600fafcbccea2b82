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
        if l.weekday == 1 || l.weekday == 7 { return false }
        let md = l.month * 100 + l.day
        for r in closedRanges {
            guard let a = MeterRules.monthDay(r[0]), let b = MeterRules.monthDay(r[1]) else { continue }
            if a <= b ? (md >= a && md <= b) : (md >= a || md <= b) { return false }
        }
        if holidays.compactMap(MeterRules.monthDay).contains(md) { return false }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let a = l.year % 19, b = l.year / 100, c = l.year % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, ll = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * ll) / 451
        let easter = utc.date(from: DateComponents(year: l.year, month: (h + ll - 7 * m + 114) / 31, day: ((h + ll - 7 * m + 114) % 31) + 1))!
        let today = utc.date(from: DateComponents(year: l.year, month: l.month, day: l.day))!
        let offset = utc.dateComponents([.day], from: easter, to: today).day!
        return !(easterBreak.count == 2 && offset >= easterBreak[0] && offset <= easterBreak[1])
    }

    /// Whether each reading of a batch falls in occupied hours: the local calendar is asked
    /// once per local day of the batch, not once per reading.
    public func occupied(start: Date, intervalMinutes: Int, count: Int) -> [Bool] {
        var days: [String: Bool] = [:]
        return (0..<count).map { i in
            let l = local(start.addingTimeInterval(Double(i * intervalMinutes * 60)))
            let key = "\(l.year)-\(l.month)-\(l.day)"
            let open = days[key] ?? isSchoolDay(l)
            days[key] = open
            return open && l.minute >= openHours[0] * 60 && l.minute < openHours[1] * 60
        }
    }
}
