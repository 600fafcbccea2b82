import Foundation

/// The NDJSON form of events used by `log import`, `log read`, feeds and exports.
///
/// `data` and `metadata` are carried as the exact bytes found in the line (no re-encoding),
/// so what is hashed is what the writer sent.
public enum EventJSON {
    public struct LineError: Error, CustomStringConvertible, Sendable {
        public var field: String
        public var reason: String
        public var description: String { "\(field): \(reason)" }
        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    /// Parses one import line: `stream`, `type`, `data` (object) and optional `id`, `metadata`,
    /// `expectedVersion` (integer or "none"/"exists"/"any"), `actor`, `schemaVersion`,
    /// `correlationId`, `causationId`.
    static let knownFields: Set<String> = [
        "stream", "type", "data", "id", "metadata", "expectedVersion", "actor", "schemaVersion", "correlationId",
        "causationId", "position", "version", "recordedAt", "hash",
    ]

    public static func proposedEvent(fromLine line: Data, defaultActor: String) throws(LineError) -> ProposedEvent {
        guard let members = JSONSyntax.topLevelMembers(line) else {
            if let p = JSONSyntax.objectProblem(line) { throw LineError(field: "line", reason: p) }
            throw LineError(field: "line", reason: "must be a JSON object")
        }
        var fields: [String: Range<Int>] = [:]
        for m in members {
            if fields[m.key] != nil { throw LineError(field: m.key, reason: "appears twice") }
            fields[m.key] = m.value
        }
        for k in fields.keys where !knownFields.contains(k) { throw LineError(field: k, reason: "unknown field") }
        func raw(_ k: String) -> Data? { fields[k].map { line.subdata(in: $0) } }
        func scalar(_ k: String) -> Any? {
            guard let d = raw(k) else { return nil }
            return try? JSONSerialization.jsonObject(with: d, options: [.fragmentsAllowed])
        }
        func string(_ k: String, required: Bool) throws(LineError) -> String? {
            guard fields[k] != nil else {
                if required { throw LineError(field: k, reason: "is required") }
                return nil
            }
            guard let s = line.withUnsafeBytes({ JSONSyntax.plainString(UnsafeRawBufferPointer(rebasing: $0[fields[k]!])) }) else {
                throw LineError(field: k, reason: "must be a string")
            }
            return s
        }
        func uuid(_ k: String) throws(LineError) -> UUID? {
            guard let s = try string(k, required: false) else { return nil }
            guard let u = UUID(uuidString: s) else { throw LineError(field: k, reason: "must be a UUID (got '\(s)')") }
            return u
        }
        let stream = try string("stream", required: true)!
        let type = try string("type", required: true)!
        guard let data = raw("data") else { throw LineError(field: "data", reason: "is required") }
        guard data.first == UInt8(ascii: "{") else { throw LineError(field: "data", reason: "must be a JSON object") }
        let metadata = raw("metadata") ?? Data("{}".utf8)
        guard metadata.first == UInt8(ascii: "{") else { throw LineError(field: "metadata", reason: "must be a JSON object") }
        /// A plain non-negative JSON integer, read from the raw bytes (no float rounding).
        func integer(_ k: String) -> UInt64? {
            raw(k).flatMap { UInt64(String(decoding: $0, as: UTF8.self)) }
        }
        var expected = ExpectedVersion.any
        if fields["expectedVersion"] != nil {
            if let n = integer("expectedVersion") {
                expected = .exact(n)
            } else if let s = scalar("expectedVersion") as? String, UInt64(s) == nil, let e = ExpectedVersion(parsing: s) {
                expected = e
            } else {
                throw LineError(field: "expectedVersion", reason: "must be a version (integer ≥ 0) or \"none\", \"exists\", \"any\"")
            }
        }
        var schemaVersion: UInt32 = 1
        if fields["schemaVersion"] != nil {
            guard let n = integer("schemaVersion"), n >= 1, n <= UInt64(RecordCodec.maxSchemaVersion) else {
                throw LineError(field: "schemaVersion", reason: "must be an integer between 1 and \(RecordCodec.maxSchemaVersion)")
            }
            schemaVersion = UInt32(n)
        }
        return ProposedEvent(
            id: try uuid("id") ?? .random(), stream: stream, type: type, schemaVersion: schemaVersion, payload: data,
            metadata: metadata, actor: try string("actor", required: false) ?? defaultActor,
            correlationId: try uuid("correlationId"), causationId: try uuid("causationId"), expected: expected)
    }

    /// One `log read` line; field order is fixed so output is byte-stable.
    public static func line(for e: RecordedEvent) -> String {
        var s = "{\"position\":\(e.position),\"stream\":\(quote(e.stream)),\"version\":\(e.version)"
        s += ",\"id\":\"\(e.id.uuidString.lowercased())\",\"type\":\(quote(e.type)),\"schemaVersion\":\(e.schemaVersion)"
        s += ",\"recordedAt\":\"\(rfc3339(micros: e.recordedAt))\",\"actor\":\(quote(e.actor))"
        if let c = e.correlationId { s += ",\"correlationId\":\"\(c.uuidString.lowercased())\"" }
        if let c = e.causationId { s += ",\"causationId\":\"\(c.uuidString.lowercased())\"" }
        s += ",\"metadata\":\(singleLine(e.metadata)),\"data\":\(singleLine(e.payload)),\"hash\":\"\(e.hash.hex)\"}"
        return s
    }

    /// JSON whitespace may include newlines; outside strings they can be spaces without
    /// changing the value (raw newlines cannot occur inside JSON strings).
    static func singleLine(_ d: Data) -> String {
        var bytes = [UInt8](d)
        for i in bytes.indices where bytes[i] == 0x0A || bytes[i] == 0x0D { bytes[i] = 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// `2026-11-26T09:30:00.123456Z`
    public static func rfc3339(micros: Int64) -> String {
        var secs = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        let frac = Int(micros - Int64(secs) * 1_000_000)
        var tm = tm()
        gmtime_r(&secs, &tm)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
            Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), frac)
    }
}
