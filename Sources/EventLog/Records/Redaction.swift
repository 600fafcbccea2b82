import Foundation

/// What replaces a redacted payload's first member: the original payload's SHA-256 and length
/// (what the hash chain hashes, so every hash still checks) and the fields that were redacted.
///
/// A redacted payload is the original object with `{"$redacted":{…},` in front and each
/// redacted value replaced by a placeholder of its kind: a text by `"[redacted]"`, a list of
/// texts by `[]` (numbers, booleans and objects are facts and are never redacted). Everything
/// else stays byte for byte, so projections still read the event. Documented in `events/README.md` ("Redaction").
public struct Tombstone: Codable, Sendable, Hashable {
    /// SHA-256 of the original payload, lower-case hex.
    public var sha256: String
    /// Length of the original payload in bytes.
    public var bytes: Int
    /// The redacted fields, as paths (`inspector`, `defects[*].photos`, `defects[0].notes`).
    public var fields: [String]
}

/// Why a payload cannot be redacted as asked.
public struct RedactionError: Error, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String
    public var description: String { "\(field): \(reason)" }
}

public enum Redaction {
    public static let marker = "$redacted"
    public static let placeholder = "\"[redacted]\""
    /// Every tombstone payload begins with exactly these bytes; appenders may not (`RecordCodec.problem`).
    static let prefix: [UInt8] = Array(#"{"$redacted":"#.utf8)

    /// Whether the payload begins as a tombstone does: the verifiers' cheap test on every record.
    static func looksRedacted(_ p: UnsafeRawBufferPointer) -> Bool {
        guard p.count > prefix.count else { return false }
        for k in 0..<prefix.count where p[k] != prefix[k] { return false }
        return true
    }

    public static func isRedacted(_ payload: Data) -> Bool { payload.withUnsafeBytes { looksRedacted($0) } }

    /// The tombstone of a redacted payload, or nil (not redacted, or a malformed tombstone,
    /// which then hashes as plain bytes and breaks the chain: tampering, never trusted).
    public static func tombstone(of payload: Data) -> Tombstone? {
        guard isRedacted(payload), let members = JSONSyntax.topLevelMembers(payload), let first = members.first,
            first.key == marker
        else { return nil }
        let start = payload.startIndex
        guard let t = try? JSONDecoder().decode(Tombstone.self, from: payload[start + first.value.lowerBound..<start + first.value.upperBound]),
            t.sha256.count == 64, t.sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
            t.bytes >= 0, t.bytes <= RecordCodec.maxPayloadBytes, !t.fields.isEmpty
        else { return nil }
        return t
    }

    /// What the chain hashes for a payload: its SHA-256 and length, or, for a tombstone, the
    /// original payload's.
    static func chained(_ payload: UnsafeRawBufferPointer) -> (digest: Digest32, length: UInt32) {
        if looksRedacted(payload), let t = tombstone(of: Data(payload)), let d = Data(hex: t.sha256) {
            return (Digest32(d), UInt32(t.bytes))
        }
        return (RecordCodec.payloadDigest(payload), UInt32(payload.count))
    }

    /// `payload` without its tombstone member (what domain decoding reads); unchanged if it has none.
    public static func withoutMarker(_ payload: Data) -> Data {
        guard isRedacted(payload), let members = JSONSyntax.topLevelMembers(payload), members.first?.key == marker else { return payload }
        var i = payload.startIndex + members[0].value.upperBound
        while i < payload.endIndex, [0x20, 0x0A, 0x0D, 0x09].contains(payload[i]) { i += 1 }
        if i < payload.endIndex, payload[i] == UInt8(ascii: ",") { i += 1 }
        return Data("{".utf8) + payload[i...]
    }

    /// The payload with `fields` replaced by placeholders and the tombstone in front. A payload
    /// redacted before keeps its original digest and length; the fields add up.
    public static func redact(_ payload: Data, fields: [String]) throws(RedactionError) -> Data {
        guard !fields.isEmpty else { throw RedactionError(field: "fields", reason: "name at least one field to redact") }
        let earlier = tombstone(of: payload)
        let body = earlier == nil ? payload : withoutMarker(payload)
        guard let top = JSONSyntax.topLevelMembers(body) else {
            throw RedactionError(field: "data", reason: "the payload is not a JSON object")
        }
        var edits: [Range<Int>: String] = [:]
        for field in fields {
            let path = try parse(field)
            let found = body.withUnsafeBytes { raw in
                ranges(of: path[...], in: top.map { ($0.key, $0.value) }, raw: raw)
            }
            // `defects[*].notes` on rows none of which has notes redacts nothing there; a
            // path without a wildcard must name a value.
            guard let found, !found.isEmpty || path.contains(.all) else {
                throw RedactionError(field: field, reason: "is not in the payload")
            }
            // Personal data is text (a name, a note) or a list of texts (photo references);
            // numbers, booleans and objects are the facts classes and alerts come from.
            for r in found {
                switch body[body.startIndex + r.lowerBound] {
                case UInt8(ascii: "\""): edits[r] = placeholder
                case UInt8(ascii: "n"): continue  // null: nothing to redact
                case UInt8(ascii: "["):
                    let texts = body.withUnsafeBytes { raw in
                        JSONSyntax.elements(raw, in: r)?.allSatisfy { raw[$0.lowerBound] == UInt8(ascii: "\"") } ?? false
                    }
                    guard texts else {
                        throw RedactionError(field: field, reason: "is a list of numbers or objects: only texts and lists of texts can be redacted")
                    }
                    edits[r] = "[]"
                default:
                    throw RedactionError(
                        field: field,
                        reason: "is a number, a boolean or an object: only texts (names, notes) and lists of texts (photos) can be redacted")
                }
            }
        }
        guard !edits.isEmpty else { throw RedactionError(field: fields.joined(separator: ", "), reason: "match no value in the payload") }
        // Nested paths inside a redacted value are covered by it: keep only outermost ranges.
        let sorted = edits.keys.sorted { $0.lowerBound < $1.lowerBound || ($0.lowerBound == $1.lowerBound && $0.count > $1.count) }
        var kept: [Range<Int>] = []
        for r in sorted where kept.last.map({ !$0.contains(r.lowerBound) }) ?? true { kept.append(r) }
        var out = Data()
        out.reserveCapacity(body.count + 160)
        var at = 0
        for r in kept {
            out += body[body.startIndex + at..<body.startIndex + r.lowerBound]
            out += Data(edits[r]!.utf8)
            at = r.upperBound
        }
        out += body[(body.startIndex + at)...]
        let all = Array(Set((earlier?.fields ?? []) + fields)).sorted()
        let t = Tombstone(
            sha256: earlier?.sha256 ?? RecordCodec.payloadDigest(payload).data.hex, bytes: earlier?.bytes ?? payload.count, fields: all)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let stone = (try? enc.encode(t)) ?? Data()
        // `out` is `{…}` with its members; the tombstone goes first.
        let inner = out.drop(while: { $0 != UInt8(ascii: "{") }).dropFirst()
        let isEmpty = inner.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == UInt8(ascii: "}") }
        return Data(prefix) + stone + (isEmpty ? Data("}".utf8) : Data(",".utf8) + inner)
    }

    enum Step: Equatable {
        case key(String)
        case all
        case index(Int)
    }

    /// `defects[*].photos` → key defects, all, key photos.
    static func parse(_ field: String) throws(RedactionError) -> [Step] {
        var steps: [Step] = []
        for part in field.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            let bracket = rest.firstIndex(of: "[") ?? rest.endIndex
            let key = rest[..<bracket]
            guard !key.isEmpty else { throw RedactionError(field: field, reason: "each part of a path needs a field name (like defects[*].photos)") }
            steps.append(.key(String(key)))
            rest = rest[bracket...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                    throw RedactionError(field: field, reason: "an index is written [N] or [*]")
                }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if inside == "*" {
                    steps.append(.all)
                } else if let n = Int(inside), n >= 0 {
                    steps.append(.index(n))
                } else {
                    throw RedactionError(field: field, reason: "an index is written [N] or [*], not [\(inside)]")
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        return steps
    }

    /// The byte ranges `path` names among `members` (nil if a step meets the wrong kind of value).
    private static func ranges(of path: ArraySlice<Step>, in members: [(String, Range<Int>)], raw: UnsafeRawBufferPointer) -> [Range<Int>]? {
        guard case .key(let key)? = path.first else { return nil }
        var out: [Range<Int>] = []
        for (k, range) in members where k == key {
            guard let more = descend(path.dropFirst(), into: range, raw: raw) else { return nil }
            out += more
        }
        return out
    }

    private static func descend(_ path: ArraySlice<Step>, into range: Range<Int>, raw: UnsafeRawBufferPointer) -> [Range<Int>]? {
        guard let step = path.first else { return [range] }
        switch step {
        case .key:
            guard let members = JSONSyntax.members(raw, in: range) else { return nil }
            return ranges(of: path, in: members.map { ($0.key, $0.value) }, raw: raw)
        case .all, .index:
            guard let elements = JSONSyntax.elements(raw, in: range) else { return nil }
            let chosen: [Range<Int>]
            if case .index(let n) = step { chosen = n < elements.count ? [elements[n]] : [] } else { chosen = elements }
            var out: [Range<Int>] = []
            for e in chosen {
                // An element without the rest of the path (a row with no photos) is skipped.
                if let more = descend(path.dropFirst(), into: e, raw: raw) { out += more }
            }
            return out
        }
    }
}

extension Data {
    /// Bytes from lower- or upper-case hex; nil if `hex` is not hex of whole bytes.
    package init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out = Data(capacity: u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        self = out
    }
}
