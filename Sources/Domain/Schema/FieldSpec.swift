import Foundation
import Synchronization

/// The shape of an event payload or a submission, declared once in Swift.
///
/// From one declaration come: the structural validation of incoming JSON (every problem, with
/// its path), and the JSON Schema published in `events/schemas/` (a test keeps the files equal
/// to what the declarations generate). Rules that need context (dates against the asset, the
/// store's state) live beside the declarations in Swift.
public indirect enum FieldType: Sendable {
    case string(minLength: Int = 1, maxLength: Int = 200, pattern: String? = nil)
    case enumeration([String])
    case integer(min: Int64? = nil, max: Int64? = nil)
    case number(min: Double? = nil, max: Double? = nil)
    /// A number from a closed set (e.g. k1 ∈ {0.2, 0.5, 1}).
    case numberOneOf([Double])
    case boolean
    /// `YYYY-MM-DD`.
    case date
    /// RFC 3339 with a zone, e.g. `2026-03-12T09:30:00Z`.
    case dateTime
    case uuid
    case object([Field])
    case array(FieldType, minItems: Int = 0, maxItems: Int = 10_000)
    /// The inner type, or JSON null (e.g. a missing meter reading).
    case nullable(FieldType)
}

public struct Field: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var doc: String

    public init(_ name: String, _ type: FieldType, required: Bool = true, _ doc: String = "") {
        self.name = name
        self.type = type
        self.required = required
        self.doc = doc
    }

    public static func optional(_ name: String, _ type: FieldType, _ doc: String = "") -> Field {
        Field(name, type, required: false, doc)
    }
}

extension FieldType {
    /// Checks `value` (from JSONSerialization) and appends every problem found under `path`.
    public func validate(_ value: Any, at path: String, into problems: inout [Problem]) {
        switch self {
        case .string(let minLength, let maxLength, let pattern):
            guard let s = value as? String else { return problems.append(Self.typeProblem(path, "a string", value)) }
            // Lengths in Unicode code points, as JSON Schema's minLength/maxLength count them.
            let length = s.unicodeScalars.count
            if length < minLength {
                problems.append(Problem(path, .length, minLength == 1 ? "must not be empty" : "must have at least \(minLength) characters"))
            }
            if length > maxLength { problems.append(Problem(path, .length, "must have at most \(maxLength) characters (got \(length))")) }
            if let pattern, !PatternCache.matches(s, pattern) {
                problems.append(Problem(path, .pattern, "must match \(pattern) (got \(Self.quoted(s)))"))
            }
        case .enumeration(let values):
            guard let s = value as? String else { return problems.append(Self.typeProblem(path, "a string", value)) }
            if !values.contains(s) {
                problems.append(Problem(path, .enumeration, "must be one of \(values.joined(separator: ", ")) (got '\(s)')"))
            }
        case .integer(let min, let max):
            guard let n = Self.integer(value) else { return problems.append(Self.typeProblem(path, "an integer", value)) }
            if let min, n < min { problems.append(Problem(path, .range, "must be at least \(min) (got \(n))")) }
            if let max, n > max { problems.append(Problem(path, .range, "must be at most \(max) (got \(n))")) }
        case .number(let min, let max):
            guard let x = Self.number(value) else { return problems.append(Self.typeProblem(path, "a number", value)) }
            if let min, x < min { problems.append(Problem(path, .range, "must be at least \(Self.text(min)) (got \(Self.text(x)))")) }
            if let max, x > max { problems.append(Problem(path, .range, "must be at most \(Self.text(max)) (got \(Self.text(x)))")) }
        case .numberOneOf(let allowed):
            guard let x = Self.number(value) else { return problems.append(Self.typeProblem(path, "a number", value)) }
            if !allowed.contains(where: { abs($0 - x) < 1e-9 }) {
                problems.append(
                    Problem(path, .enumeration, "must be one of \(allowed.map(Self.text).joined(separator: ", ")) (got \(Self.text(x)))"))
            }
        case .boolean:
            if !Self.isBool(value) { problems.append(Self.typeProblem(path, "true or false", value)) }
        case .date:
            guard let s = value as? String else { return problems.append(Self.typeProblem(path, "a date (YYYY-MM-DD)", value)) }
            if DomainTime.date(s) == nil {
                problems.append(Problem(path, .format, "must be a date YYYY-MM-DD, year \(DomainTime.yearText) (got \(Self.quoted(s)))"))
            }
        case .dateTime:
            guard let s = value as? String else { return problems.append(Self.typeProblem(path, "a timestamp", value)) }
            if DomainTime.dateTime(s) == nil {
                problems.append(
                    Problem(
                        path, .format,
                        "must be an RFC 3339 timestamp with zone, e.g. 2026-03-12T09:30:00Z, year \(DomainTime.yearText) (got \(Self.quoted(s)))"))
            }
        case .uuid:
            guard let s = value as? String else { return problems.append(Self.typeProblem(path, "a UUID", value)) }
            if UUID(uuidString: s) == nil { problems.append(Problem(path, .format, "must be a UUID (got '\(s)')")) }
        case .object(let fields):
            guard let o = value as? [String: Any] else { return problems.append(Self.typeProblem(path, "an object", value)) }
            Self.validate(object: o, fields: fields, at: path, into: &problems)
        case .nullable(let inner):
            if !(value is NSNull) { inner.validate(value, at: path, into: &problems) }
        case .array(let element, let minItems, let maxItems):
            guard let a = value as? [Any] else { return problems.append(Self.typeProblem(path, "an array", value)) }
            if a.count < minItems { problems.append(Problem(path, .count, "must have at least \(minItems) item\(minItems == 1 ? "" : "s")")) }
            if a.count > maxItems { problems.append(Problem(path, .count, "must have at most \(maxItems) items (got \(a.count))")) }
            for (i, item) in a.enumerated() { element.validate(item, at: Path.index(path, i), into: &problems) }
        }
    }

    static func validate(object o: [String: Any], fields: [Field], at path: String, into problems: inout [Problem]) {
        let known = Set(fields.map(\.name))
        for key in o.keys.sorted() where !known.contains(key) {
            problems.append(Problem(Path.field(path, key), .unknownField, "is not a known field"))
        }
        for f in fields {
            let p = Path.field(path, f.name)
            guard let v = o[f.name], !(v is NSNull) else {
                if f.required { problems.append(Problem(p, .required, "is required")) }
                continue
            }
            f.type.validate(v, at: p, into: &problems)
        }
    }

    /// JSONSerialization gives booleans as NSNumber with objCType "c" (and `1 is Bool` is true
    /// for plain numbers on this Foundation, so `is Bool` cannot be used).
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func number(_ v: Any) -> Double? {
        if isBool(v) { return nil }
        if let n = v as? NSNumber { return n.doubleValue }
        return nil
    }

    /// A JSONSerialization value as a whole number (nil for booleans, fractions and non-numbers).
    public static func integer(_ v: Any) -> Int64? {
        guard let x = number(v), x == x.rounded(), abs(x) < 9e15 else { return nil }
        return Int64(x)
    }

    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    /// A value shown in a problem: quoted, with invisible and line-breaking characters escaped
    /// (so `MI0001\u{2028}` does not look like `MI0001`), and cut when long.
    static func quoted(_ s: String) -> String {
        var out = "'"
        for (k, u) in s.unicodeScalars.enumerated() {
            if k == 80 { out += "…"; break }
            if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || [0x2028, 0x2029, 0x200B, 0xFEFF, 0x85].contains(u.value) {
                out += "\\u{\(String(u.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out + "'"
    }

    static func typeProblem(_ path: String, _ expected: String, _ got: Any) -> Problem {
        Problem(path, .type, "must be \(expected) (got \(describe(got)))")
    }

    static func describe(_ v: Any) -> String {
        if isBool(v) { return "a boolean" }
        if v is NSNumber { return "a number" }
        if v is String { return "a string" }
        if v is [Any] { return "an array" }
        if v is [String: Any] { return "an object" }
        return "null"
    }
}

/// Compiled patterns, reused: compiling a regular expression per field per event dominated
/// bulk validation in profiles.
enum PatternCache {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func matches(_ s: String, _ pattern: String) -> Bool {
        let re = cache.withLock { c -> NSRegularExpression? in
            if let r = c[pattern] { return r }
            // \A…\z: the whole string. `$` would also match before a final line terminator,
            // which let "MI0001\u{2028}" pass as a bridge id.
            let r = try? NSRegularExpression(pattern: "\\A(?:\(pattern))\\z")
            c[pattern] = r
            return r
        }
        guard let re else { return false }
        return re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}
