#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import Foundation

/// A strict RFC 8259 syntax check that allocates nothing.
///
/// The log keeps payloads as the exact bytes given, so it never re-encodes them; it must still
/// refuse bytes that are not JSON, and doing that with a full parser would cost more than
/// hashing. Depth is capped to keep recursion bounded.
package enum JSONSyntax {
    public static let maxDepth = 128
    /// Number literals stay within what every store and the SQL view (jsonb numeric) hold.
    public static let maxExponent = 400
    public static let maxNumberBytes = 100

    /// Why `data` is not a single JSON object, or nil.
    public static func objectProblem(_ data: Data) -> String? { problem(data, object: true) }

    /// Why `data` is not a single JSON value (any kind), or nil; the reason names the byte.
    public static func valueProblem(_ data: Data) -> String? { problem(data, object: false) }

    private static func problem(_ data: Data, object: Bool) -> String? {
        data.withUnsafeBytes { raw -> String? in
            let b = raw.bindMemory(to: UInt8.self)
            var p = Parser(b: b)
            p.ws()
            if object { guard p.i < b.count, b[p.i] == UInt8(ascii: "{") else { return "must be a JSON object" } }
            if let e = p.value(depth: 0) { return e }
            p.ws()
            if p.i != b.count { return "unexpected data after the JSON \(object ? "object" : "value") at byte \(p.i)" }
            return nil
        }
    }

    /// The top-level members of a JSON object: each key and the byte range of its value.
    /// Nil unless `data` is exactly one valid JSON object (checked in the same single pass;
    /// `objectProblem` says why).
    public static func topLevelMembers(_ data: Data) -> [(key: String, value: Range<Int>)]? {
        data.withUnsafeBytes { raw -> [(key: String, value: Range<Int>)]? in
            let b = raw.bindMemory(to: UInt8.self)
            var p = Parser(b: b)
            p.ws()
            guard let (members, end) = scanMembers(raw, from: p.i, limit: b.count) else { return nil }
            p.i = end
            p.ws()
            return p.i == b.count ? members : nil
        }
    }

    /// The members of the object whose value occupies `range` of `raw` (already checked JSON):
    /// each key and the byte range of its value; nil if that value is not an object.
    package static func members(_ raw: UnsafeRawBufferPointer, in range: Range<Int>) -> [(key: String, value: Range<Int>)]? {
        scanMembers(raw, from: range.lowerBound, limit: range.upperBound)?.members
    }

    /// The members of the object starting at `start` (each key and its value's byte range) and
    /// the offset just past its `}`; nil if no valid object starts there before `limit`.
    private static func scanMembers(_ raw: UnsafeRawBufferPointer, from start: Int, limit: Int) -> (
        members: [(key: String, value: Range<Int>)], end: Int
    )? {
        let b = raw.bindMemory(to: UInt8.self)
        var p = Parser(b: UnsafeBufferPointer(rebasing: b[..<limit]), i: start)
        func at(_ c: Unicode.Scalar) -> Bool { p.i < limit && b[p.i] == UInt8(ascii: c) }
        guard at("{") else { return nil }
        p.i += 1
        p.ws()
        var out: [(key: String, value: Range<Int>)] = []
        if at("}") { return (out, p.i + 1) }
        while true {
            p.ws()
            let keyStart = p.i
            guard at("\""), p.string() == nil, let key = plainString(UnsafeRawBufferPointer(rebasing: raw[keyStart..<p.i])) else { return nil }
            p.ws()
            guard at(":") else { return nil }
            p.i += 1
            p.ws()
            let valueStart = p.i
            guard p.value(depth: 1) == nil else { return nil }
            out.append((key, valueStart..<p.i))
            p.ws()
            if at(",") {
                p.i += 1
                continue
            }
            return at("}") ? (out, p.i + 1) : nil
        }
    }

    /// The byte ranges of the elements of the array whose value occupies `range` of `raw`
    /// (already checked JSON); nil if that value is not an array.
    package static func elements(_ raw: UnsafeRawBufferPointer, in range: Range<Int>) -> [Range<Int>]? {
        let b = raw.bindMemory(to: UInt8.self)
        var p = Parser(b: UnsafeBufferPointer(rebasing: b[..<range.upperBound]), i: range.lowerBound)
        guard p.i < range.upperBound, b[p.i] == UInt8(ascii: "[") else { return nil }
        p.i += 1
        p.ws()
        var out: [Range<Int>] = []
        if p.i < range.upperBound, b[p.i] == UInt8(ascii: "]") { return out }
        while true {
            p.ws()
            let start = p.i
            guard p.value(depth: 1) == nil else { return nil }
            out.append(start..<p.i)
            p.ws()
            guard p.i < range.upperBound else { return nil }
            if b[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
            return b[p.i] == UInt8(ascii: "]") ? out : nil
        }
    }

    /// The value of a JSON string literal (quotes included in `literal`), already checked by
    /// the parser: without escapes it is its bytes (the common case, no Foundation parse);
    /// with escapes JSONSerialization decodes it.
    public static func plainString(_ literal: UnsafeRawBufferPointer) -> String? {
        guard literal.count >= 2, literal.first == UInt8(ascii: "\""), literal.last == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: literal[1..<literal.count - 1])
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        return try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed]) as? String
    }

    private struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func ws() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }
        func err(_ what: String) -> String { "invalid JSON at byte \(i): \(what)" }

        mutating func value(depth: Int) -> String? {
            if depth > JSONSyntax.maxDepth { return err("nesting deeper than \(JSONSyntax.maxDepth)") }
            ws()
            guard i < b.count else { return err("unexpected end") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1; ws()
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return nil }
                while true {
                    ws()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { return err("expected a string key") }
                    if let e = string() { return e }
                    ws()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { return err("expected ':'") }
                    i += 1
                    if let e = value(depth: depth + 1) { return e }
                    ws()
                    guard i < b.count else { return err("unexpected end in object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return nil }
                    return err("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1; ws()
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return nil }
                while true {
                    if let e = value(depth: depth + 1) { return e }
                    ws()
                    guard i < b.count else { return err("unexpected end in array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return nil }
                    return err("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func literal(_ s: StaticString) -> String? {
            let n = s.utf8CodeUnitCount
            guard i + n <= b.count else { return err("unexpected end") }
            for k in 0..<n where b[i + k] != s.utf8Start[k] { return err("invalid literal") }
            i += n
            return nil
        }

        mutating func string() -> String? {
            i += 1
            let start = i
            var ascii = true
            while true {
                skipPlainASCII()
                guard i < b.count else { break }
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    if !ascii && !UTF8Check.isValid(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: b[start..<i]))) {
                        return err("string is not valid UTF-8")
                    }
                    i += 1
                    return nil
                }
                if c < 0x20 { return err("control character in string") }
                if c >= 0x80 {
                    ascii = false
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < b.count else { break }
                    switch b[i] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        // NUL and unpaired surrogates are refused: PostgreSQL's jsonb (the SQL
                        // view) cannot hold them, and both stores accept exactly the same events.
                        guard let u = hex4(at: i + 1) else { return err("bad \\u escape") }
                        if u == 0 { return err("\\u0000 (NUL) is not allowed in a string") }
                        if (0xDC00...0xDFFF).contains(u) { return err("lone low surrogate \\u\(String(u, radix: 16))") }
                        if (0xD800...0xDBFF).contains(u) {
                            guard i + 10 < b.count, b[i + 5] == UInt8(ascii: "\\"), b[i + 6] == UInt8(ascii: "u"),
                                let low = hex4(at: i + 7), (0xDC00...0xDFFF).contains(low)
                            else { return err("lone high surrogate \\u\(String(u, radix: 16))") }
                            i += 11
                        } else {
                            i += 5
                        }
                    default: return err("bad escape")
                    }
                    continue
                }
                i += 1
            }
            return err("unterminated string")
        }

        /// Skips plain string bytes: none a quote, a backslash, a control character or non-ASCII.
        /// 16 at a time with SSE2 (one signed compare catches both control characters and
        /// non-ASCII bytes), then 8 at a time by SWAR (the classic has-zero-byte test on the
        /// word XOR each pattern). It may stop early on a harmless byte, never late; the byte
        /// loop handles the rest. Payload strings are most of a payload's bytes.
        mutating func skipPlainASCII() {
            guard let base = b.baseAddress else { return }
            #if arch(x86_64)
            let quote = _mm_set1_epi8(0x22)
            let slash = _mm_set1_epi8(0x5C)
            let space = _mm_set1_epi8(0x20)
            while i + 16 <= b.count {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: __m128i.self)
                let hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)), _mm_cmplt_epi8(v, space))
                let mask = _mm_movemask_epi8(hit)
                if mask != 0 {
                    i += Int(mask.trailingZeroBitCount)
                    return
                }
                i += 16
            }
            #endif
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= b.count {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let quote = v ^ (ones &* 0x22)
                let slash = v ^ (ones &* 0x5C)
                let special = ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | (v &- ones &* 0x20) | v
                if special & highs != 0 { return }
                i += 8
            }
        }

        /// The value of the four hex digits at `k`, or nil.
        func hex4(at k: Int) -> Int? {
            guard k + 3 < b.count else { return nil }
            var v = 0
            for j in k..<(k + 4) {
                let c = b[j]
                guard isHex(c) else { return nil }
                v = v << 4 | Int(c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10)
            }
            return v
        }

        func isHex(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
        }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

        mutating func number() -> String? {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { i = start; return err("unexpected character") }
            if b[i] == UInt8(ascii: "0") { i += 1 } else { while i < b.count, isDigit(b[i]) { i += 1 } }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard i < b.count, isDigit(b[i]) else { return err("digit expected after '.'") }
                while i < b.count, isDigit(b[i]) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i < b.count, isDigit(b[i]) else { return err("digit expected in exponent") }
                var exponent = 0
                while i < b.count, isDigit(b[i]) {
                    exponent = min(exponent * 10 + Int(b[i] - 0x30), 1_000_000)
                    i += 1
                }
                // Beyond any double, and beyond what PostgreSQL's numeric takes in the SQL view.
                if exponent > JSONSyntax.maxExponent { return err("number exponent beyond ±\(JSONSyntax.maxExponent)") }
            }
            if i - start > JSONSyntax.maxNumberBytes { return err("number longer than \(JSONSyntax.maxNumberBytes) characters") }
            return nil
        }
    }
}
