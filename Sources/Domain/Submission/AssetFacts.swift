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

    /// Whether the stream holds anything (an append must then expect its version).
    public var exists: Bool { version != nil }
    /// Whether the stream holds a valid creation event (census, registration, installation,
    /// an alert's raising).
    /// A stream whose creation was parked exists but is not registered: the creation may be
    /// filed again, and nothing else is accepted until it is.
    public var registered: Bool { createdAt != nil }

    public init(stream: String) { self.stream = stream }

    /// The event types that change the facts; the others (inspections, forms …, most of a
    /// stream) are not decoded at all.
    static let relevantTypes: Set<String> = [
        "BridgeCensused", "BridgeCensusAmended", "BuildingRegistered", "WasteSiteRegistered", "MeterInstalled", "MeterReplaced",
        "MeterReadingsRecorded", "AlertRaised",
    ]

    /// Folds one recorded event of the asset's stream into the facts (old versions upcast).
    /// An event the projections would park (it fails the catalogue's checks) is no fact either:
    /// submissions are checked against what the projections will show.
    mutating func apply(_ recorded: RecordedEvent) {
        guard Self.relevantTypes.contains(recorded.type), let event = try? Catalog.decodeChecked(recorded) else { return }
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
        case let r as AlertRaised:
            createdAt = DomainTime.date(r.observedAt)
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

/// Facts already folded, by stream and version, shared by the submissions of one process: a
/// stream only grows, so facts at version v stay true and the next look-up reads only the
/// events after v (a busy bridge or meter is not re-read from its creation each time).
public final class AssetFactsCache: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var facts: [String: AssetFacts] = [:]
    let capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    func get(_ stream: String) -> AssetFacts? { lock.withLock { facts[stream] } }

    func put(_ f: AssetFacts) {
        lock.withLock {
            if facts.count >= capacity { facts.removeAll(keepingCapacity: true) }
            if let old = facts[f.stream]?.version, let new = f.version, old > new { return }
            facts[f.stream] = f
        }
    }
}

/// Reads asset facts from the log: the stream's first events (creation) and its last one.
public struct AssetDirectory: Sendable {
    let store: any EventStore
    let cache: AssetFactsCache?

    public init(store: any EventStore, cache: AssetFactsCache? = nil) {
        self.store = store
        self.cache = cache
    }

    public func facts(stream: String) async throws -> AssetFacts {
        var f = AssetFacts(stream: stream)
        guard let version = try await store.streamVersion(stream) else { return f }
        if let cached = cache?.get(stream), let seen = cached.version, seen <= version, version - seen <= 1000 {
            f = cached
            if seen < version {
                for e in try await store.readStream(stream, from: seen + 1, limit: Int(version - seen)) where e.version <= version { f.apply(e) }
                f.version = version
                cache?.put(f)
            }
            return f
        }
        f.version = version
        // Creation, amendments and replacements are few; readings are many. Read the head of
        // the stream fully only for small streams, else the first event and the last one.
        let events: [RecordedEvent]
        if version < 200 {
            events = try await store.readStream(stream, from: 0, limit: Int(version) + 1)
        } else {
            let head = try await store.readStream(stream, from: 0, limit: 1)
            let tail = try await store.readStream(stream, from: version, limit: 1)
            events = head + tail
        }
        for e in events where e.version <= version { f.apply(e) }
        cache?.put(f)
        return f
    }
}
