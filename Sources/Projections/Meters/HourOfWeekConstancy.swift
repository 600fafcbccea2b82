import Domain

/// Which local hours of the week a meter's interval values have been seen constant in (brief
/// §1.1: a repeat counts as stuck only "in hour-of-week slots where history says the value is
/// never constant"). A school's water meter rests at night and on closed days (zero after zero),
/// so a steady leak there repeats the same delta honestly; in school hours its values always
/// vary, and a gateway repeating an estimate shows.
///
/// "History" is of days of the same kind: the 168 hours of the week hold school days, and 24
/// more hold the closed days (weekends, holidays, the summer closure), so a fortnight's closure
/// does not teach that school hours can rest, nor a term that nights cannot.
///
/// Each slot keeps how many weeks it was observed (capped at 255) and, one bit a
/// week for the last four, whether an interval in that hour equalled the interval before it
/// with a value the rule counts (bits 0–3, the newest week in bit 0) and at rest, below that
/// (bits 4–7). Snapshots write it as one hex string, four digits a slot.
public struct HourOfWeekConstancy: Codable, Sendable, Equatable {
    public static let slotCount = 168 + 24
    /// Weeks of repeats a slot remembers.
    public static let maxWeeks = 4
    var slots: [UInt16]
    /// Repeats of the current run of identical deltas that fell in slots where they count.
    public var countedRepeats = 0

    public init() { slots = Array(repeating: 0, count: Self.slotCount) }

    /// The slot of local hour `hour` (0…23) of local day `day`, a school day (`open`) or not.
    @inline(__always)
    public static func index(day: Int, hour: Int, open: Bool) -> Int {
        (open ? (LocalClock.weekday(day) - 1) * 24 : 168) + min(23, max(0, hour))
    }

    /// Records one week's observation of a slot.
    @inline(__always)
    static func observe(_ s: inout UInt16, repeated: Bool, rested: Bool) {
        let weeks = min(255, (s >> 8) + 1)
        let moving = ((s & 0xF) << 1 | (repeated ? 1 : 0)) & 0xF
        let resting = ((s >> 4 & 0xF) << 1 | (rested ? 1 : 0)) & 0xF
        s = weeks << 8 | resting << 4 | moving
    }

    /// The slot's repeats over the last `weeks` weeks it was seen (counted, at rest), or nil
    /// when it was seen in fewer than `minWeeks`.
    @inline(__always)
    func history(_ index: Int, weeks: Int, minWeeks: Int) -> (counted: Bool, atRest: Bool)? {
        let s = slots[index]
        let seen = Int(s >> 8)
        guard seen >= minWeeks else { return nil }
        let mask = UInt16((1 << min(Self.maxWeeks, min(seen, weeks))) - 1)
        return (s & mask != 0, (s >> 4) & mask != 0)
    }

    /// Learns a complete local day: for each local hour, whether any of its intervals equalled
    /// the interval before it in the same day, at `least` or more (a repeat the rule would count)
    /// or below it (at rest: zero, or a trickle at the register's resolution). An hour whose only
    /// interval is the day's first has nothing to compare with and is not observed. `hourOf(i)`
    /// is slot i's local hour.
    mutating func learn(day: Int, open: Bool, values: [Double], least: Double, hourOf: (Int) -> Int) {
        guard !values.isEmpty else { return }
        // Over the buffers, the day's slot of the week found once (this runs every day of every
        // meter under v4).
        let first = open ? (LocalClock.weekday(day) - 1) * 24 : 168
        values.withUnsafeBufferPointer { v in
            slots.withUnsafeMutableBufferPointer { table in
                var hour = hourOf(0)
                var compared = false
                var repeated = false
                var rested = false
                for i in 1..<v.count {
                    let h = hourOf(i)
                    if h != hour {
                        if compared { Self.observe(&table[first + min(23, max(0, hour))], repeated: repeated, rested: rested) }
                        hour = h
                        compared = false
                        repeated = false
                        rested = false
                    }
                    compared = true
                    let a = v[i]
                    let b = v[i - 1]
                    if a == b || abs(a - b) <= 1e-9 * max(1, abs(a)) {
                        if a > 0 && a >= least { repeated = true } else { rested = true }
                    }
                }
                if compared { Self.observe(&table[first + min(23, max(0, hour))], repeated: repeated, rested: rested) }
            }
        }
    }

    enum CodingKeys: String, CodingKey { case slots, countedRepeats }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let hex = Array(try c.decode(String.self, forKey: .slots).utf8)
        guard hex.count == Self.slotCount * 4 else {
            throw DecodingError.dataCorruptedError(forKey: .slots, in: c, debugDescription: "slots: \(Self.slotCount * 4) hex digits expected")
        }
        var slots = [UInt16]()
        slots.reserveCapacity(Self.slotCount)
        for k in 0..<Self.slotCount {
            var v: UInt16 = 0
            for byte in hex[(k * 4)..<(k * 4 + 4)] {
                guard let digit = Self.hexValue(byte) else {
                    throw DecodingError.dataCorruptedError(forKey: .slots, in: c, debugDescription: "slots: not a hex digit")
                }
                v = v << 4 | digit
            }
            slots.append(v)
        }
        self.slots = slots
        countedRepeats = try c.decode(Int.self, forKey: .countedRepeats)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(Self.slotCount * 4)
        for v in slots {
            for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int(v >> UInt16(shift)) & 0xF]) }
        }
        try c.encode(String(decoding: out, as: UTF8.self), forKey: .slots)
        try c.encode(countedRepeats, forKey: .countedRepeats)
    }

    static func hexValue(_ b: UInt8) -> UInt16? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(b - UInt8(ascii: "a") + 10)
        default: nil
        }
    }
}
