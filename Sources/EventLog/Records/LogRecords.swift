import Foundation

/// The log's own records: facts about the log rather than about an asset, appended by the store
/// (a repair) or by an auditor's command (a checkpoint) on streams of the `log` category,
/// which no projection reads. Documented in `events/README.md` ("The log's own records").
public enum LogRecords {
    public static let category = "log"
    public static let repairStream = "log-repairs"
    public static let checkpointStream = "log-checkpoints"
    public static let redactionStream = "log-redactions"
    public static let actor = "presidio:log"

    /// Whether `stream` belongs to the log's own records (refused to ordinary appenders).
    public static func isReserved(_ stream: String) -> Bool { StreamName.category(of: stream) == category }
}

/// Bytes a writable open took off the end of the active segment, and why. The bytes are not
/// deleted: they are kept in `quarantine` (relative to the data folder), and their SHA-256 is
/// recorded here so the quarantined copy can be proved to be what was cut.
public struct LogRepair: Codable, Sendable, Hashable {
    public static let eventType = "LogRepaired"

    /// `tornWrite`: the evidence shows a commit cut short by a crash (never acknowledged);
    /// `manual`: `presidio log repair` cut damage that could not be told from a torn write.
    public var kind: String
    public var segment: String
    /// Offset in the segment of the first byte cut.
    public var offset: UInt64
    /// Bytes cut (zeros written ahead excluded).
    public var bytes: UInt64
    public var sha256: String
    public var quarantine: String
    /// The last position kept: every position after it that the cut bytes held is gone from the log.
    public var lastKeptPosition: UInt64
    /// Positions a clean shutdown had recorded that the log no longer holds (0 if none).
    public var missingPositions: UInt64
    public var reason: String
    public var repairedAt: String

    /// The event recording it. Its id derives from the cut itself, so appending it again (a crash
    /// between the cut and its record) records it once.
    public var event: ProposedEvent {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let payload = (try? enc.encode(self)) ?? Data("{}".utf8)
        let id = UUID.derived(from: "LogRepaired|\(segment)|\(offset)|\(sha256)|\(missingPositions)")
        return ProposedEvent(id: id, stream: LogRecords.repairStream, type: Self.eventType, payload: payload, actor: LogRecords.actor)
    }
}

extension UUID {
    /// A UUID (version 8 layout) from the SHA-256 of `text`: the same text, the same id.
    package static func derived(from text: String) -> UUID {
        var b = [UInt8](RecordCodec.payloadDigest(Data(text.utf8)).data.prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80
        b[8] = (b[8] & 0x3F) | 0x80
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

extension LogRepair {
    /// The repairs recorded in `store`'s log, oldest first.
    public static func recorded(in store: any EventStore) async throws -> [LogRepair] {
        try await LogRecords.decoded(LogRepair.self, type: eventType, stream: LogRecords.repairStream, in: store)
    }
}

extension LogRecords {
    /// The records of `type` on one of the log's own streams, decoded, oldest first.
    static func decoded<T: Decodable>(_: T.Type, type: String, stream: String, in store: any EventStore) async throws -> [T] {
        var out: [T] = []
        var version: UInt64 = 0
        while true {
            let page = try await store.readStream(stream, from: version, limit: 1000)
            out += page.filter { $0.type == type }.compactMap { try? JSONDecoder().decode(T.self, from: $0.payload) }
            guard let last = page.last, page.count == 1000 else { return out }
            version = last.version + 1
        }
    }
}
