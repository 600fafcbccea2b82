import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a `MeterReadingsRecorded` payload without `JSONDecoder` (issue 16, meters 8): the
/// bulk of the log is these events, and a meter rebuild spent most of its time decoding and
/// re-checking their register values one boxed number at a time.
///
/// Only the canonical shape `payload()` writes is read here (its keys, in its order, no
/// white space, no `resets`); anything else returns nil and takes the general path, which
/// gives the same value or the same refusal. What this path accepts is checked as strictly:
/// JSON number grammar, finite values within the field's range, 1…2976 readings.
extension MeterReadingsRecorded {
    /// The decoded event, or nil when the payload is not in the canonical shape (or a value is
    /// out of range: the general path then names the problem).
    public static func fastDecode(_ payload: Data) -> MeterReadingsRecorded? {
        payload.withUnsafeBytes { raw -> MeterReadingsRecorded? in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return nil }
            var p = FastCursor(base: base, count: raw.count)
            guard p.literal("{\"intervalMinutes\":"), let interval = p.integer(), p.literal(",\"meterId\":"), let meterId = p.plainString(),
                p.literal(",\"observedAt\":"), let observedAt = p.plainString(), p.literal(",\"readings\":[")
            else { return nil }
            var readings: [Double?] = []
            readings.reserveCapacity(96)
            while true {
                if p.literal("null") {
                    readings.append(nil)
                } else {
                    guard let v = p.number(), v >= 0, v <= 1e12 else { return nil }
                    readings.append(v)
                }
                if p.literal(",") { continue }
                guard p.literal("]}"), p.atEnd else { return nil }
                break
            }
            guard (1...2976).contains(readings.count) else { return nil }
            return MeterReadingsRecorded(meterId: meterId, observedAt: observedAt, intervalMinutes: interval, readings: readings, resets: nil)
        }
    }
}

extension MeterReadingsRecorded {
    /// Whether the fields other than the readings pass a check at least as strict as their
    /// declarations (`SC` + 4 digits + `-` + kind letter + digit; a strict timestamp; 15 or 60
    /// minutes). What fails it is checked by the declarations, which name the problem.
    var passesStrictHeadCheck: Bool {
        guard intervalMinutes == 15 || intervalMinutes == 60, DomainTime.dateTime(observedAt) != nil else { return false }
        var id = meterId
        return id.withUTF8 { u in
            guard u.count == 9, u[0] == UInt8(ascii: "S"), u[1] == UInt8(ascii: "C"), u[6] == UInt8(ascii: "-") else { return false }
            let digit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
            let kind = u[7]
            return u[2..<6].allSatisfy(digit) && (kind == 0x45 || kind == 0x47 || kind == 0x48 || kind == 0x57) && digit(u[8])
        }
    }
}

/// A cursor over the bytes of a payload, for the fast path above.
struct FastCursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    var at = 0

    var atEnd: Bool { at == count }

    mutating func literal(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard at + n <= count, memcmp(base + at, s.utf8Start, n) == 0 else { return false }
        at += n
        return true
    }

    /// A non-negative JSON integer of at most 9 digits, no leading zero.
    mutating func integer() -> Int? {
        var v = 0
        let start = at
        while at < count, base[at] >= 0x30, base[at] <= 0x39, at - start < 9 {
            v = v * 10 + Int(base[at] - 0x30)
            at += 1
        }
        guard at > start, !(base[start] == 0x30 && at - start > 1) else { return nil }
        return v
    }

    /// A string with no escapes and only printable ASCII (ids and timestamps are such).
    mutating func plainString() -> String? {
        guard at < count, base[at] == 0x22 else { return nil }
        let start = at + 1
        var i = start
        while i < count, base[i] != 0x22 {
            guard base[i] >= 0x20, base[i] < 0x7f, base[i] != 0x5c else { return nil }
            i += 1
        }
        guard i < count else { return nil }
        at = i + 1
        return String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
    }

    /// A JSON number (RFC 8259 grammar, checked here), correctly rounded as `strtod` (and
    /// `JSONDecoder`) round it. One pass over the digits: register values (up to 15
    /// significant digits, no exponent) take Clinger's fast path, the rest `strtod`.
    mutating func number() -> Double? {
        let start = at
        var negative = false
        if at < count, base[at] == 0x2d {
            negative = true
            at += 1
        }
        // Integer part: at least one digit, no leading zero.
        guard at < count else { return nil }
        let lead = base[at]
        guard lead >= 0x30, lead <= 0x39 else { return nil }
        var mantissa: UInt64 = 0
        var significant = 0
        if lead == 0x30 {
            at += 1
            if at < count, base[at] >= 0x30, base[at] <= 0x39 { return nil }
        } else {
            while at < count {
                let d = base[at] &- 0x30
                guard d <= 9 else { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                significant += 1
                at += 1
            }
        }
        // Fraction: a dot and at least one digit.
        var fraction = 0
        if at < count, base[at] == 0x2e {
            at += 1
            let first = at
            while at < count {
                let d = base[at] &- 0x30
                guard d <= 9 else { break }
                if significant > 0 || d != 0 { significant += 1 }
                mantissa = mantissa &* 10 &+ UInt64(d)
                fraction += 1
                at += 1
            }
            guard at > first else { return nil }
        }
        var hasExponent = false
        if at < count, base[at] == 0x65 || base[at] == 0x45 {
            hasExponent = true
            at += 1
            if at < count, base[at] == 0x2b || base[at] == 0x2d { at += 1 }
            let first = at
            while at < count, base[at] >= 0x30, base[at] <= 0x39 { at += 1 }
            guard at > first else { return nil }
        }
        let length = at - start
        guard length < 64 else { return nil }
        // Up to 15 significant digits and no exponent: the mantissa and the power of ten are
        // exact doubles, so one division gives the correctly rounded value (Clinger's fast
        // path). Register values are such numbers.
        if !hasExponent, !negative, significant <= 15, fraction <= 22 {
            return Double(mantissa) / Self.powerOfTen(fraction)
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
            for k in 0..<length { buffer[k] = CChar(bitPattern: base[start + k]) }
            buffer[length] = 0
            let v = strtod(buffer.baseAddress!, nil)
            return v.isFinite ? v : nil
        }
    }

    /// 10^k for k in 0…22, each exact (no table behind a lazy global: this runs per reading).
    @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        default: powersOfTen[k]
        }
    }

    /// 10^0 … 10^22, each exact (built by multiplication, not by `pow`).
    static let powersOfTen: [Double] = (0...22).reduce(into: [Double]()) { a, k in a.append(k == 0 ? 1 : a[k - 1] * 10) }
}
