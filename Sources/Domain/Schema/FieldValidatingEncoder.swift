import Foundation

/// Checks a decoded event against its field declarations by walking its `Encodable` form: the
/// same rules as `FieldType.validate` on parsed JSON (ranges, lengths, patterns, formats, enums),
/// without building a JSON object tree.
///
/// Why: the projections check every event they read (the log may hold events no submission
/// produced), and parsing each payload a second time with JSONSerialization tripled the cost of
/// a rebuild; the decoded value is already at hand. Unknown fields are caught beforehand on the
/// payload's top-level keys; nested unknown keys are dropped by decoding and never reach a
/// projection.
struct FieldValidatingEncoder: Encoder {
    final class Sink {
        var problems: [Problem] = []
    }

    let type: FieldType
    let path: String
    let sink: Sink
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    /// Problems of `value` against `fields` (an event's payload declaration).
    static func problems(_ value: some Encodable, fields: [Field]) -> [Problem] {
        let sink = Sink()
        do {
            try value.encode(to: FieldValidatingEncoder(type: .object(fields), path: "", sink: sink))
        } catch {
            sink.problems.append(Problem("", .type, "cannot be checked: \(error)"))
        }
        return sink.problems
    }

    func container<Key: CodingKey>(keyedBy: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let fields) = type.nonNull {
            return KeyedEncodingContainer(Keyed(fields: fields, path: path, sink: sink, seen: Seen(fields: fields, path: path, sink: sink)))
        }
        sink.problems.append(FieldType.typeProblem(path, type.expected, [String: Any]()))
        return KeyedEncodingContainer(Keyed(fields: nil, path: path, sink: sink, seen: nil))
    }

    /// The fields an object encoded; when its container goes away (its owner finished
    /// encoding), a required field never encoded is a problem.
    final class Seen {
        let fields: [Field]
        let path: String
        let sink: Sink
        var names: Set<String> = []

        init(fields: [Field], path: String, sink: Sink) {
            self.fields = fields
            self.path = path
            self.sink = sink
        }

        deinit {
            for f in fields where f.required && !names.contains(f.name) {
                sink.problems.append(Problem(Path.field(path, f.name), .required, "is required"))
            }
        }
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let element, let minItems, let maxItems) = type.nonNull {
            return Unkeyed(element: element, minItems: minItems, maxItems: maxItems, path: path, sink: sink)
        }
        sink.problems.append(FieldType.typeProblem(path, type.expected, [Any]()))
        return Unkeyed(element: nil, minItems: 0, maxItems: .max, path: path, sink: sink)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(type: type, path: path, sink: sink) }

    /// Checks one value of `type` at `path`: scalars directly, anything else by encoding it.
    /// The common scalar types are recognised by comparing metadata (no dynamic cast, no
    /// container): a day of meter readings is 96 of them.
    static func check<T: Encodable>(_ value: T, type: FieldType, path: @autoclosure () -> String, sink: Sink) throws {
        if T.self == Double?.self {
            let x = unsafeBitCast(value, to: Double?.self)
            if let x { number(x, integral: false, type: type, path: path, sink: sink) } else if !type.isNullable { nullProblem(type, path(), sink) }
        } else if T.self == Double.self {
            number(unsafeBitCast(value, to: Double.self), integral: false, type: type, path: path, sink: sink)
        } else if T.self == Int.self {
            number(Double(unsafeBitCast(value, to: Int.self)), integral: true, type: type, path: path, sink: sink)
        } else if T.self == String.self {
            Single(type: type, path: path(), sink: sink).string(unsafeBitCast(value, to: String.self))
        } else if T.self == Bool.self {
            Single(type: type, path: path(), sink: sink).bool(unsafeBitCast(value, to: Bool.self))
        } else {
            try value.encode(to: FieldValidatingEncoder(type: type, path: path(), sink: sink))
        }
    }

    /// A number against a `.number` range without building the path unless there is a problem.
    static func number(_ x: Double, integral: Bool, type: FieldType, path: () -> String, sink: Sink) {
        if case .number(let min, let max) = type.nonNull, (min.map { x >= $0 } ?? true), (max.map { x <= $0 } ?? true) { return }
        Single(type: type, path: path(), sink: sink).number(x, integral: integral)
    }

    static func nullProblem(_ type: FieldType, _ path: String, _ sink: Sink) {
        sink.problems.append(FieldType.typeProblem(path, type.expected, NSNull()))
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let fields: [Field]?
        let path: String
        let sink: Sink
        let seen: Seen?
        var codingPath: [any CodingKey] = []

        func field(_ key: Key) -> Field? {
            guard let fields else { return nil }
            if let f = fields.first(where: { $0.name == key.stringValue }) {
                seen?.names.insert(f.name)
                return f
            }
            sink.problems.append(Problem(Path.field(path, key.stringValue), .unknownField, "is not a known field"))
            return nil
        }

        mutating func encodeNil(forKey key: Key) throws {
            if let f = field(key), f.required, !f.type.isNullable {
                sink.problems.append(Problem(Path.field(path, key.stringValue), .required, "is required"))
            }
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            guard let f = field(key) else { return }
            try FieldValidatingEncoder.check(value, type: f.type, path: Path.field(path, key.stringValue), sink: sink)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            FieldValidatingEncoder(type: field(key)?.type ?? .object([]), path: Path.field(path, key.stringValue), sink: sink).container(
                keyedBy: NestedKey.self)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            FieldValidatingEncoder(type: field(key)?.type ?? .array(.boolean), path: Path.field(path, key.stringValue), sink: sink).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { FieldValidatingEncoder(type: .object(fields ?? []), path: path, sink: sink) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            FieldValidatingEncoder(type: field(key)?.type ?? .object([]), path: Path.field(path, key.stringValue), sink: sink)
        }
    }

    /// Counts its items as they come; the minimum is checked when the next container asks (and
    /// by `finish`, called through the array's owner when it is done).
    final class Unkeyed: UnkeyedEncodingContainer {
        let element: FieldType?
        let minItems: Int
        let maxItems: Int
        let path: String
        let sink: Sink
        var codingPath: [any CodingKey] = []
        var count = 0

        init(element: FieldType?, minItems: Int, maxItems: Int, path: String, sink: Sink) {
            self.element = element
            self.minItems = minItems
            self.maxItems = maxItems
            self.path = path
            self.sink = sink
        }

        deinit {
            guard element != nil else { return }
            if count < minItems { sink.problems.append(Problem(path, .count, "must have at least \(minItems) item\(minItems == 1 ? "" : "s")")) }
            if count > maxItems { sink.problems.append(Problem(path, .count, "must have at most \(maxItems) items (got \(count))")) }
        }

        func next() -> (FieldType, String)? {
            defer { count += 1 }
            guard let element else { return nil }
            return (element, Path.index(path, count))
        }

        func encodeNil() throws {
            if let (t, p) = next(), !t.isNullable { sink.problems.append(FieldType.typeProblem(p, t.expected, NSNull())) }
        }

        func encode<T: Encodable>(_ value: T) throws {
            guard let element else { count += 1; return }
            let index = count
            count += 1
            try FieldValidatingEncoder.check(value, type: element, path: Path.index(path, index), sink: sink)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let (t, p) = next() ?? (.object([]), path)
            return FieldValidatingEncoder(type: t, path: p, sink: sink).container(keyedBy: NestedKey.self)
        }

        func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let (t, p) = next() ?? (.array(.boolean), path)
            return FieldValidatingEncoder(type: t, path: p, sink: sink).unkeyedContainer()
        }

        func superEncoder() -> any Encoder {
            let (t, p) = next() ?? (.object([]), path)
            return FieldValidatingEncoder(type: t, path: p, sink: sink)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let type: FieldType
        let path: String
        let sink: Sink
        var codingPath: [any CodingKey] = []

        func problems(_ value: Any) {
            type.validate(value, at: path, into: &sink.problems)
        }

        func string(_ s: String) {
            switch type.nonNull {
            case .string, .enumeration, .date, .dateTime, .uuid: problems(s)
            default: sink.problems.append(FieldType.typeProblem(path, type.expected, s))
            }
        }

        func number(_ x: Double, integral: Bool) {
            switch type.nonNull {
            case .number(let min, let max):
                if let min, x < min {
                    sink.problems.append(Problem(path, .range, "must be at least \(FieldType.text(min)) (got \(FieldType.text(x)))"))
                }
                if let max, x > max {
                    sink.problems.append(Problem(path, .range, "must be at most \(FieldType.text(max)) (got \(FieldType.text(x)))"))
                }
            case .integer, .numberOneOf: problems(NSNumber(value: x))
            default: sink.problems.append(FieldType.typeProblem(path, type.expected, NSNumber(value: x)))
            }
        }

        func bool(_ b: Bool) {
            if case .boolean = type.nonNull { return }
            sink.problems.append(Problem(path, .type, "must be \(type.expected) (got a boolean)"))
        }

        mutating func encodeNil() throws {
            if !type.isNullable { sink.problems.append(FieldType.typeProblem(path, type.expected, NSNull())) }
        }
        mutating func encode(_ value: Bool) throws { bool(value) }
        mutating func encode(_ value: String) throws { string(value) }
        mutating func encode(_ value: Double) throws { number(value, integral: false) }
        mutating func encode(_ value: Float) throws { number(Double(value), integral: false) }
        mutating func encode(_ value: Int) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: Int8) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: Int16) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: Int32) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: Int64) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: UInt) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: UInt8) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: UInt16) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: UInt32) throws { number(Double(value), integral: true) }
        mutating func encode(_ value: UInt64) throws { number(Double(value), integral: true) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try FieldValidatingEncoder.check(value, type: type, path: path, sink: sink)
        }
    }
}

extension FieldType {
    /// The type a value must have, without the nullability.
    var nonNull: FieldType {
        if case .nullable(let inner) = self { return inner.nonNull }
        return self
    }

    var isNullable: Bool {
        if case .nullable = self { return true }
        return false
    }

    /// What a value of this type is, for a type problem.
    var expected: String {
        switch nonNull {
        case .string, .enumeration: "a string"
        case .date: "a date (YYYY-MM-DD)"
        case .dateTime: "a timestamp"
        case .uuid: "a UUID"
        case .integer: "an integer"
        case .number, .numberOneOf: "a number"
        case .boolean: "true or false"
        case .object: "an object"
        case .array: "an array"
        case .nullable: "a value"
        }
    }
}
