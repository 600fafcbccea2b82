import EventLog
import Foundation

/// Turns a payload of one schema version into the next version's shape.
///
/// Old events are never rewritten in the log (the hash chain forbids it, and auditors must see
/// what was recorded); they are upcast when read. When `BridgeInspected` gets a v2, its v1→v2
/// upcaster goes into `Catalog.upcasters` and the v1 schema and example stay in `events/`.
public struct Upcaster: Sendable {
    public var eventType: String
    public var fromVersion: UInt32
    public var transform: @Sendable ([String: JSONValue]) throws -> [String: JSONValue]

    public init(eventType: String, fromVersion: UInt32, transform: @escaping @Sendable ([String: JSONValue]) throws -> [String: JSONValue]) {
        self.eventType = eventType
        self.fromVersion = fromVersion
        self.transform = transform
    }
}

public struct UpcastError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension Catalog {
    /// Registered upcasters. Every type is at version 1 today, so there are none yet.
    public static let upcasters: [Upcaster] = []

    /// Decodes a recorded event into its current Swift type, upcasting older schema versions.
    /// The newest entry of each event type, and its field names (looked up per event read).
    static let current: [String: (entry: Entry, fieldNames: Set<String>)] = Dictionary(
        entries.map { ($0.eventType, ($0, Set($0.type.fields.map(\.name)))) },
        uniquingKeysWith: { a, b in a.entry.schemaVersion >= b.entry.schemaVersion ? a : b })

    /// Whether the catalogue has this event type.
    public static func isKnown(_ type: String) -> Bool { current[type] != nil }

    public static func decode(type: String, schemaVersion: UInt32, payload: Data, upcasters: [Upcaster] = upcasters) throws -> any DomainEvent {
        guard let current = current[type]?.entry else {
            throw UpcastError(description: "unknown event type '\(type)'")
        }
        if schemaVersion == current.schemaVersion { return try JSONDecoder().decode(current.type, from: payload) }
        guard schemaVersion < current.schemaVersion else {
            throw UpcastError(description: "\(type) v\(schemaVersion) is newer than this build (v\(current.schemaVersion))")
        }
        var object = try JSONDecoder().decode([String: JSONValue].self, from: payload)
        for v in schemaVersion..<current.schemaVersion {
            guard let step = upcasters.first(where: { $0.eventType == type && $0.fromVersion == v }) else {
                throw UpcastError(description: "no upcaster for \(type) v\(v) → v\(v + 1)")
            }
            object = try step.transform(object)
        }
        return try JSONDecoder().decode(current.type, from: try JSONEncoder().encode(object))
    }

    public static func decode(_ e: RecordedEvent) throws -> any DomainEvent {
        try decode(type: e.type, schemaVersion: e.schemaVersion, payload: e.payload)
    }
}

/// Why a recorded event cannot be read as a domain event (the log may hold events written by
/// other tools, `log import`, or older versions).
public struct UnreadableEvent: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension Catalog {
    /// Decodes a recorded event and checks it as a submission is checked: the same field
    /// declarations (types, ranges, patterns, strict timestamps), and a payload that names the
    /// stream it is on. What passes is safe for the projections to apply.
    public static func decodeChecked(_ e: RecordedEvent) throws(UnreadableEvent) -> any DomainEvent {
        try decodeChecked(type: e.type, schemaVersion: e.schemaVersion, payload: e.payload, stream: e.stream)
    }

    /// `decodeChecked` of an event before it is appended (`log append`, `log import`).
    public static func decodeChecked(type: String, schemaVersion: UInt32, payload: Data, stream: String) throws(UnreadableEvent) -> any DomainEvent {
        let e = (type: type, schemaVersion: schemaVersion, payload: payload, stream: stream)
        guard let (current, known) = current[e.type] else {
            throw UnreadableEvent(description: "unknown event type '\(e.type)' (v\(e.schemaVersion))")
        }
        // The bulk of the log: read without JSONDecoder when in its canonical shape; its
        // register values are checked by the fast reader, its other fields below as usual.
        if type == MeterReadingsRecorded.eventType, schemaVersion == current.schemaVersion, let r = MeterReadingsRecorded.fastDecode(payload),
            r.passesStrictHeadCheck, r.stream == stream
        {
            return r
        }
        let decoded: any DomainEvent
        do {
            decoded = try decode(type: type, schemaVersion: schemaVersion, payload: payload)
        } catch {
            throw UnreadableEvent(description: "cannot decode: \(error)")
        }
        // The decoded value against the declarations (the current version's, after upcasting),
        // and the stored payload's top-level keys against the declared fields.
        var problems: [Problem] = []
        if e.schemaVersion == current.schemaVersion, let members = JSONSyntax.topLevelMembers(e.payload) {
            // A redaction tombstone (`Redaction`) is no field of the event: projections read the rest.
            for m in members where !known.contains(m.key) && m.key != Redaction.marker {
                problems.append(Problem(m.key, .unknownField, "is not a known field"))
            }
        }
        problems += FieldValidatingEncoder.problems(decoded, fields: current.type.fields)
        if !problems.isEmpty {
            let shown = problems.prefix(3).map(\.description).joined(separator: "; ")
            throw UnreadableEvent(description: "invalid payload: \(shown)\(problems.count > 3 ? " (and \(problems.count - 3) more)" : "")")
        }
        if decoded.stream != e.stream {
            throw UnreadableEvent(description: "payload is about stream '\(decoded.stream)' but the event is on '\(e.stream)'")
        }
        return decoded
    }
}
