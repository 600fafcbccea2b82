import Foundation

/// Dates and timestamps as submissions carry them, parsed strictly (UTC calendar).
public enum DomainTime {
    public static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// The years the platform records: nothing it knows of happened before 1800, and a year
    /// like 0001 or 9999 is a typing error, not a fact.
    public static let years = 1800...2199
    static let yearText = "\(years.lowerBound)–\(years.upperBound)"
    /// `years` as a JSON Schema pattern on the start of a date or timestamp (1800–2199).
    public static let yearPattern = "^(18|19|20|21)[0-9]{2}-"

    /// `YYYY-MM-DD` → midnight UTC of that day; nil unless it is exactly that shape (ASCII
    /// digits, nothing before or after) and a real calendar date within `years`.
    public static func date(_ s: String) -> Date? {
        var s = s
        return s.withUTF8 { u in u.count == 10 ? date(u, 0) : nil }
    }

    /// Days from 1970-01-01 to y-m-d (proleptic Gregorian), or nil for an impossible date.
    static func days(_ y: Int, _ m: Int, _ d: Int) -> Int? {
        guard years.contains(y), (1...12).contains(m), d >= 1 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let length =
            switch m {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        guard d <= length else { return nil }
        return LocalClock.dayNumber(year: y, month: m, day: d)
    }

    private static func number(_ u: UnsafeBufferPointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
        guard at + n <= u.count else { return nil }
        var v = 0
        for k in at..<(at + n) {
            let c = u[k]
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    private static func date(_ u: UnsafeBufferPointer<UInt8>, _ at: Int) -> Date? {
        guard u.count >= at + 10, u[at + 4] == UInt8(ascii: "-"), u[at + 7] == UInt8(ascii: "-"),
            let y = number(u, at, 4), let m = number(u, at + 5, 2), let d = number(u, at + 8, 2), let n = days(y, m, d)
        else { return nil }
        return Date(timeIntervalSince1970: Double(n) * 86_400)
    }

    /// RFC 3339 `date-time`, strictly: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z`
    /// in either case, nothing before or after. Hours 00–23, minutes and seconds 00–59 (a leap
    /// second cannot be told from a typing error here and no gateway sends one), offsets up
    /// to ±23:59, the date a real one within `years`.
    public static func dateTime(_ s: String) -> Date? {
        // Over the string's own bytes (no copy: this runs for every meter batch replayed).
        var s = s
        return s.withUTF8 { dateTime(utf8: $0) }
    }

    private static func dateTime(utf8 u: UnsafeBufferPointer<UInt8>) -> Date? {
        guard u.count >= 20, u.count <= 40, let day = date(u, 0) else { return nil }
        guard u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let hh = number(u, 11, 2), let mm = number(u, 14, 2), let ss = number(u, 17, 2), hh <= 23, mm <= 59, ss <= 59
        else { return nil }
        var i = 19
        var fraction = 0.0
        if u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let first = i
            while i < u.count, u[i] >= 0x30 && u[i] <= 0x39 {
                fraction += Double(u[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > first, i - first <= 9 else { return nil }
        }
        guard i < u.count else { return nil }
        var offset = 0
        switch u[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == u.count, u[i + 3] == UInt8(ascii: ":"), let oh = number(u, i + 1, 2), let om = number(u, i + 4, 2), oh <= 23, om <= 59
            else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default: return nil
        }
        guard i == u.count else { return nil }
        let seconds = Double(hh * 3600 + mm * 60 + ss - offset) + fraction
        return day.addingTimeInterval(seconds)
    }

    public static func dayString(_ d: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    public static func timestampString(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// `timestampString` of a whole UTC second, written digit by digit: the meter projection
    /// stamps every batch it reads, and the formatter takes microseconds a call.
    public static func timestampString(unixSeconds t: Int64) -> String {
        let day = Int(t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
        let second = Int(t - Int64(day) * 86_400)
        let c = LocalClock.civil(day)
        guard (1000...9999).contains(c.year) else { return timestampString(Date(timeIntervalSince1970: Double(t))) }
        return String(unsafeUninitializedCapacity: 20) { b in
            func put(_ v: Int, _ digits: Int, at i: Int) {
                var v = v
                for k in stride(from: i + digits - 1, through: i, by: -1) {
                    b[k] = UInt8(0x30 + v % 10)
                    v /= 10
                }
            }
            put(c.year, 4, at: 0)
            b[4] = UInt8(ascii: "-")
            put(c.month, 2, at: 5)
            b[7] = UInt8(ascii: "-")
            put(c.day, 2, at: 8)
            b[10] = UInt8(ascii: "T")
            put(second / 3600, 2, at: 11)
            b[13] = UInt8(ascii: ":")
            put(second / 60 % 60, 2, at: 14)
            b[16] = UInt8(ascii: ":")
            put(second % 60, 2, at: 17)
            b[19] = UInt8(ascii: "Z")
            return 20
        }
    }
}
