import Foundation

/// Dates and timestamps as submissions carry them, parsed strictly (UTC calendar).
public enum DomainTime {
    public static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// `YYYY-MM-DD` → midnight UTC of that day; nil unless it is a real calendar date.
    public static func date(_ s: String) -> Date? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let c = DateComponents(calendar: calendar, year: y, month: m, day: d)
        guard let date = calendar.date(from: c), calendar.component(.day, from: date) == d else { return nil }
        return date
    }

    /// RFC 3339 with an explicit zone (`Z` or `±hh:mm`), optional fractional seconds.
    public static func dateTime(_ s: String) -> Date? {
        guard s.count >= 20, s.count <= 35 else { return nil }
        let plain = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let d = try? plain.parse(s) { return d }
        if let d = try? fractional.parse(s) { return d }
        return nil
    }

    public static func dayString(_ d: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    public static func timestampString(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}
