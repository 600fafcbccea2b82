import EventLog
import Foundation

/// What validation needs to know about an asset, folded from its stream.
public struct AssetFacts: Sendable {
    public var stream: String
    /// Stream version seen (the append expects exactly this, so a concurrent change is caught).
    public var version: UInt64?
    /// When the asset came into existence (census / registration / installation).
    public var createdAt: Date?
    public var bridge: BridgeCensused?
    public var wasteSite: WasteSiteRegistered?
    public var meter: MeterInstalled?
    public var registerDigits: Int?
    /// Time and value of the last known register reading.
    public var lastReading: (at: Date, value: Double)?

    public var exists: Bool { version != nil }

    public init(stream: String) { self.stream = stream }

    /// Folds one recorded event of the asset's stream into the facts (old versions upcast).
    mutating func apply(_ recorded: RecordedEvent) {
        guard let event = try? Catalogue.decode(recorded) else { return }
        apply(event)
    }

    /// Folds one event into the facts (typed: no JSON round trip for events just validated).
    mutating func apply(_ event: any DomainEvent) {
        switch event {
        case let c as BridgeCensused:
            bridge = c
            createdAt = DomainTime.date(c.observedAt)
        case let a as BridgeCensusAmended:
            if let b = bridge { bridge = Self.amend(b, with: a.changes) }
        case let b as BuildingRegistered:
            createdAt = DomainTime.date(b.observedAt)
        case let w as WasteSiteRegistered:
            wasteSite = w
            createdAt = DomainTime.date(w.observedAt)
        case let m as MeterInstalled:
            if let at = DomainTime.dateTime(m.observedAt) {
                meter = m
                createdAt = at
                registerDigits = m.registerDigits
                lastReading = (at, m.initialReading)
            }
        case let r as MeterReplaced:
            if let at = DomainTime.dateTime(r.observedAt) {
                registerDigits = r.registerDigits
                lastReading = (at, r.newInitialReading)
            }
        case let r as MeterReadingsRecorded:
            if let start = DomainTime.dateTime(r.observedAt), let k = r.readings.lastIndex(where: { $0 != nil }) {
                lastReading = (start.addingTimeInterval(Double(k * r.intervalMinutes * 60)), r.readings[k]!)
            }
        default: break
        }
    }

    /// A census record with an amendment's changes applied (through JSON, field by field).
    public static func amend(_ census: BridgeCensused, with changes: [String: JSONValue]) -> BridgeCensused {
        guard let data = try? JSONEncoder().encode(census),
            var object = try? JSONDecoder().decode([String: JSONValue].self, from: data)
        else { return census }
        for (k, v) in changes { object[k] = v }
        guard let merged = try? JSONEncoder().encode(object), let c = try? JSONDecoder().decode(BridgeCensused.self, from: merged) else {
            return census
        }
        return c
    }
}

/// Reads asset facts from the log: the stream's first events (creation) and its last one.
public struct AssetDirectory: Sendable {
    let store: any EventStore

    public init(store: any EventStore) { self.store = store }

    public func facts(stream: String) async throws -> AssetFacts {
        var f = AssetFacts(stream: stream)
        guard let version = try await store.streamVersion(stream) else { return f }
        f.version = version
        // Creation, amendments and replacements are few; readings are many. Read the head of
        // the stream fully only for small streams, else the first event and the last one.
        let events: [RecordedEvent]
        if version < 200 {
            events = try await store.readStream(stream, from: 0, limit: 200)
        } else {
            let head = try await store.readStream(stream, from: 0, limit: 1)
            let tail = try await store.readStream(stream, from: version, limit: 1)
            events = head + tail
        }
        for e in events { f.apply(e) }
        return f
    }
}
