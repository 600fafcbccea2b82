import Foundation

/// The append-only, hash-chained event log. Implemented by the embedded `SegmentStore` and
/// by the PostgreSQL store; both must pass the same conformance suite.
///
/// ```swift
/// let store = try SegmentStore(directory: url)
/// let result = try await store.append([ProposedEvent(stream: "bridge-MI0123", type: "BridgeCensused",
///                                                    payload: Data(#"{"km":12.3}"#.utf8), expected: .noStream)])
/// for try await event in store.subscribe(from: 1) { … }
/// ```
public protocol EventStore: Sendable {
    /// Appends a batch atomically: every event or none. Each event's `expected` is checked
    /// against its stream's version just before it (earlier events of the same batch count).
    /// Events whose id is already in the log with the same content are not appended again;
    /// their original positions are returned. Returns only once the batch is durable.
    func append(_ batch: [ProposedEvent]) async throws -> AppendResult

    /// Events with position ≥ `position`, in order, at most `limit`.
    func read(from position: UInt64, limit: Int) async throws -> [RecordedEvent]

    /// One stream's events with version ≥ `version`, at most `limit`.
    func readStream(_ stream: String, from version: UInt64, limit: Int) async throws -> [RecordedEvent]

    /// Events of a category (`bridge` for `bridge-…`) with position ≥ `position`, at most `limit`.
    func readCategory(_ category: String, from position: UInt64, limit: Int) async throws -> [RecordedEvent]

    /// The position of the last durable event (0 for an empty log).
    func headPosition() async throws -> UInt64

    /// The version of a stream's last event, or nil if the stream has no events.
    func streamVersion(_ stream: String) async throws -> UInt64?

    /// The position of an event id, if it is in the log.
    func position(ofEventId id: UUID) async throws -> UInt64?

    /// Returns once the head is beyond `position` (or the task is cancelled).
    func waitForAppend(after position: UInt64) async throws

    /// Counts and sizes for `log stats`.
    func stats() async throws -> StoreStats

    /// Checks every checksum and the whole hash chain.
    func verify() async throws -> VerifyReport

    /// Appends events recorded elsewhere, keeping their positions, times and hashes (log copy).
    /// They must continue this log's head, stream versions and hash chain exactly.
    func appendVerbatim(_ events: [RecordedEvent]) async throws

    /// Replaces the payload at `position` by its redaction tombstone: the one change a recorded
    /// byte may undergo, accepted only when `redactionProblem` finds none (a tombstone keeping
    /// the chain's digest and length, recorded by a `LogRedacted` event). Use `redact`.
    func applyRedaction(position: UInt64, payload: Data) async throws

    /// Finishes queued appends and releases files, connections and the folder lock.
    func close()
}

extension EventStore {
    /// A catch-up-then-live subscription from `position` (first event delivered has position ≥ it).
    public func subscribe(from position: UInt64, batchSize: Int = 512) -> EventSubscription {
        EventSubscription(store: self, from: position, batchSize: batchSize)
    }

    /// Convenience: append one event.
    @discardableResult
    public func append(_ event: ProposedEvent) async throws -> AppendResult { try await append([event]) }
}

public struct StoreStats: Sendable, Codable, Hashable {
    public var head: UInt64
    public var headHash: String
    public var events: UInt64
    public var streams: UInt64
    public var categories: UInt64
    public var bytes: UInt64
    public var segments: Int
    public var backend: String

    public init(
        head: UInt64, headHash: String, events: UInt64, streams: UInt64, categories: UInt64, bytes: UInt64, segments: Int,
        backend: String
    ) {
        self.head = head
        self.headHash = headHash
        self.events = events
        self.streams = streams
        self.categories = categories
        self.bytes = bytes
        self.segments = segments
        self.backend = backend
    }
}

/// The outcome of `verify`: intact, or the first bad position and why.
public struct VerifyReport: Sendable, Codable, Hashable {
    public var intact: Bool
    public var eventsChecked: UInt64
    public var headPosition: UInt64
    public var headHash: String
    public var firstBadPosition: UInt64?
    public var problem: String?
    public var segment: String?
    public var offset: UInt64?
    /// Set when the committed log checks out but what follows its last commit does not (a torn
    /// write not yet quarantined, or damage at the tail): `intact` is then false.
    public var tail: TailFinding?
    /// Positions whose payload is a redaction tombstone (each accounted for by a `LogRedacted`).
    public var redacted: [UInt64]?
    /// Positions a `LogRedacted` names whose tombstone is not (yet) in place: a redaction a crash
    /// interrupted, finished by running `audit redact` again.
    public var pendingRedactions: [UInt64]?

    public init(
        intact: Bool, eventsChecked: UInt64, headPosition: UInt64, headHash: String, firstBadPosition: UInt64? = nil,
        problem: String? = nil, segment: String? = nil, offset: UInt64? = nil
    ) {
        self.intact = intact
        self.eventsChecked = eventsChecked
        self.headPosition = headPosition
        self.headHash = headHash
        self.firstBadPosition = firstBadPosition
        self.problem = problem
        self.segment = segment
        self.offset = offset
    }
}

/// Incremental chain checker shared by every store's `verify`: feed records in position order.
package struct ChainVerifier: Sendable {
    public private(set) var previousHash = RecordCodec.genesisHash
    public private(set) var lastPosition: UInt64 = 0
    public private(set) var checked: UInt64 = 0
    private var streamVersions: [String: UInt64] = [:]
    package private(set) var redactions = RedactionLedger()

    public init() {}

    /// Checks one record; returns why it is bad, or nil.
    public mutating func check(_ e: RecordedEvent) -> (code: EventStoreError.Code, problem: String)? {
        if e.position != lastPosition + 1 {
            return (.corruption, "expected position \(lastPosition + 1), found \(e.position) (gap or reorder)")
        }
        let expectedVersion = streamVersions[e.stream].map { $0 + 1 } ?? 0
        if e.version != expectedVersion {
            return (.tampering, "stream '\(e.stream)' version \(e.version), expected \(expectedVersion)")
        }
        let recomputed = RecordCodec.expectedHash(of: e, previous: previousHash)
        if recomputed != e.hash {
            return (.tampering, "hash chain break: stored \(e.hash.hex.prefix(16))…, recomputed \(recomputed.hex.prefix(16))…")
        }
        redactions.note(e)
        streamVersions[e.stream] = e.version
        previousHash = e.hash
        lastPosition = e.position
        checked += 1
        return nil
    }
}

extension Data {
    /// Lower-case hex.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
