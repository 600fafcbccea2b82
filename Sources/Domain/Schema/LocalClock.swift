import Foundation

/// Local wall-clock time of a time zone (Europe/Rome for the meters), fast enough to ask for
/// every reading: the zone's offset changes are read once into a table, and each question is a
/// binary search plus integer arithmetic. Foundation's calendar takes microseconds per call,
/// and a year of the city holds 35 M readings (issue 16, meters 1: windows in local time, DST
/// included).
public struct LocalClock: Sendable {
    public let identifier: String
    /// UTC seconds at which the offset changes, and the offset from then on.
    let changes: [Int64]
    let offsets: [Int]
    let firstOffset: Int

    /// A clock for the zone, or nil for an unknown identifier.
    public init?(_ identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        var changes: [Int64] = []
        var offsets: [Int] = []
        // The platform's years (1970 on is enough for recorded readings) up to 2200.
        var t = Date(timeIntervalSince1970: 0)
        let end = Date(timeIntervalSince1970: 7_258_118_400)
        firstOffset = tz.secondsFromGMT(for: t)
        while let next = tz.nextDaylightSavingTimeTransition(after: t), next < end, changes.count < 1000 {
            changes.append(Int64(next.timeIntervalSince1970.rounded()))
            offsets.append(tz.secondsFromGMT(for: next))
            t = next
        }
        self.changes = changes
        self.offsets = offsets
    }

    nonisolated(unsafe) private static var cache: [String: LocalClock] = [:]
    private static let lock = NSLock()

    /// The shared clock of a zone (built once per process).
    public static func named(_ identifier: String) -> LocalClock? {
        lock.lock()
        defer { lock.unlock() }
        if let c = cache[identifier] { return c }
        let c = LocalClock(identifier)
        cache[identifier] = c
        return c
    }

    /// Seconds east of UTC at UTC second `t`.
    public func offset(_ t: Int64) -> Int {
        var lo = 0
        var hi = changes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if changes[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? firstOffset : offsets[lo - 1]
    }

    /// The local day (days since 1970-01-01 on the local calendar) and minute of the day.
    public func local(_ t: Int64) -> (day: Int, minute: Int) {
        let l = t + Int64(offset(t))
        let day = Int(l >= 0 ? l / 86_400 : (l - 86_399) / 86_400)
        return (day, Int(l - Int64(day) * 86_400) / 60)
    }

    /// UTC second of the local midnight that starts local day `day`.
    public func midnight(_ day: Int) -> Int64 {
        let l = Int64(day) * 86_400
        let guess = l - Int64(offset(l))
        return l - Int64(offset(guess))
    }

    /// Year, month, day of a day number (Howard Hinnant's civil_from_days).
    public static func civil(_ day: Int) -> (year: Int, month: Int, day: Int) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// 1 = Sunday … 7 = Saturday, as Foundation numbers weekdays (1970-01-01 was a Thursday).
    public static func weekday(_ day: Int) -> Int { ((day % 7 + 7 + 4) % 7) + 1 }

    /// `YYYY-MM-DD` of a day number.
    public static func dayString(_ day: Int) -> String {
        let c = civil(day)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }
}

extension LocalClock {
    /// Day number (days since 1970-01-01) of a civil date (Howard Hinnant's days_from_civil).
    public static func dayNumber(year y: Int, month m: Int, day d: Int) -> Int {
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Day number of Easter Sunday (anonymous Gregorian algorithm).
    public static func easter(_ year: Int) -> Int {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        return dayNumber(year: year, month: (h + l - 7 * m + 114) / 31, day: ((h + l - 7 * m + 114) % 31) + 1)
    }
}
