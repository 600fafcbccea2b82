import EventLog
import Foundation

/// Every event of one asset, as an auditor reads it: position, version, type, actor, when it
/// was observed and when recorded, its chain hash; then the alert events about the asset.
public struct AssetHistory: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var position: UInt64
        public var stream: String
        public var version: UInt64
        public var type: String
        public var schemaVersion: UInt32
        public var id: String
        public var actor: String
        public var observedAt: String?
        public var recordedAt: String
        public var hash: String
    }

    public var asset: String
    public var entries: [Entry]
    /// Alert events (raise, acknowledgement, resolution…) whose alert is about this asset.
    public var alertEntries: [Entry]

    /// Reads the asset's stream, and the alert streams of alerts raised about it.
    public static func load(_ id: AssetID, store: any EventStore) async throws -> AssetHistory {
        let stream = id.description
        let entries = try await readStream(stream, store: store)
        var alertEntries: [Entry] = []
        var from: UInt64 = 1
        var alertStreams: [String] = []
        while true {
            let page = try await store.readCategory("alert", from: from, limit: 4096)
            for e in page where e.type == "AlertRaised" && e.payloadString("asset") == stream { alertStreams.append(e.stream) }
            guard let last = page.last, page.count == 4096 else { break }
            from = last.position + 1
        }
        for s in alertStreams { alertEntries += try await readStream(s, store: store) }
        alertEntries.sort { $0.position < $1.position }
        return AssetHistory(asset: stream, entries: entries, alertEntries: alertEntries)
    }

    static func readStream(_ stream: String, store: any EventStore) async throws -> [Entry] {
        var out: [Entry] = []
        var version: UInt64 = 0
        while true {
            let page = try await store.readStream(stream, from: version, limit: 4096)
            out += page.map(entry)
            guard let last = page.last, page.count == 4096 else { return out }
            version = last.version + 1
        }
    }

    static func entry(_ e: RecordedEvent) -> Entry {
        Entry(
            position: e.position, stream: e.stream, version: e.version, type: e.type, schemaVersion: e.schemaVersion,
            id: e.id.uuidString.lowercased(),
            actor: e.actor, observedAt: e.payloadString("observedAt"), recordedAt: AuditTime.text(micros: e.recordedAt), hash: e.hash.hex)
    }
}

/// The instants audit commands take and print: RFC 3339, microseconds since 1970 inside.
public enum AuditTime {
    public static func text(micros: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }

    public static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
