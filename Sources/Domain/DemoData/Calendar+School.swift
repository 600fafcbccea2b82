import Foundation

/// School calendar and climate of Milan, simplified for the demo data.
enum SchoolCalendar {
    /// Easter Sunday (anonymous Gregorian algorithm).
    static func easter(_ y: Int) -> (month: Int, day: Int) {
        let a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        return ((h + l - 7 * m + 114) / 31, ((h + l - 7 * m + 114) % 31) + 1)
    }

    /// True on days the school is open (Lombardy calendar, approximately).
    static func isSchoolDay(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        if weekday == 1 || weekday == 7 { return false }  // Sunday, Saturday
        let md = month * 100 + day
        if md >= 608 && md <= 911 { return false }  // summer
        if md >= 1223 || md <= 106 { return false }  // Christmas
        if [101, 106, 425, 501, 602, 815, 1101, 1207, 1208].contains(md) { return false }  // holidays (7 Dec: Sant'Ambrogio)
        let e = easter(year)
        let easterDay = DomainTime.calendar.date(from: DateComponents(year: year, month: e.month, day: e.day))!
        let today = DomainTime.calendar.date(from: DateComponents(year: year, month: month, day: day))!
        let offset = DomainTime.calendar.dateComponents([.day], from: easterDay, to: today).day!
        if offset >= -3 && offset <= 1 { return false }  // Easter break
        return true
    }

    /// National heating season for zone E: 15 Oct – 15 Apr.
    static func isHeatingSeason(month: Int, day: Int) -> Bool {
        let md = month * 100 + day
        return md >= 1015 || md <= 415
    }

    /// Outdoor temperature (°C) in Milan: seasonal and daily cycles plus a weather offset.
    static func outdoor(dayOfYear: Int, hour: Double, weather: Double) -> Double {
        13.5 + 11 * sin(2 * .pi * (Double(dayOfYear) - 110) / 365) + 4 * sin(2 * .pi * (hour - 9) / 24) + weather
    }
}
