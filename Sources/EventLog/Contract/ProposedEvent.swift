import Foundation

/// An event as a writer proposes it, before the log gives it a position.
public struct ProposedEvent: Sendable, Hashable {
    /// Chosen by the writer; re-sending the same id with the same content is a no-op.
    public var id: UUID
    /// `category-id`, e.g. `bridge-MI0123`.
    public var stream: String
    public var type: String
    public var schemaVersion: UInt32
    /// A JSON object, stored byte for byte.
    public var payload: Data
    /// A small JSON object, stored byte for byte.
    public var metadata: Data
    /// Who appended it.
    public var actor: String
    public var correlationId: UUID?
    public var causationId: UUID?
    /// Checked against the stream's version just before this event (inside its batch).
    public var expected: ExpectedVersion

    public init(
        id: UUID = .timeOrdered(), stream: String, type: String, schemaVersion: UInt32 = 1, payload: Data,
        metadata: Data = Data("{}".utf8), actor: String = "system", correlationId: UUID? = nil,
        causationId: UUID? = nil, expected: ExpectedVersion = .any
    ) {
        self.id = id
        self.stream = stream
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
        self.metadata = metadata
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.expected = expected
    }

    /// Whether `recorded` carries the same content, which makes this a harmless retry.
    public func hasSameContent(as recorded: RecordedEvent) -> Bool {
        recorded.id == id && recorded.stream == stream && recorded.type == type
            && recorded.schemaVersion == schemaVersion && recorded.payload == payload
            && recorded.metadata == metadata && recorded.actor == actor
            && recorded.correlationId == correlationId && recorded.causationId == causationId
    }
}

/// An event as the log holds it.
public struct RecordedEvent: Sendable, Hashable {
    /// Global position: 1, 2, 3 … without gaps.
    public var position: UInt64
    public var stream: String
    /// Position inside the stream: 0, 1, 2 …
    public var version: UInt64
    public var id: UUID
    public var type: String
    public var schemaVersion: UInt32
    /// When the log accepted it: microseconds since 1970-01-01T00:00:00Z.
    public var recordedAt: Int64
    public var actor: String
    public var correlationId: UUID?
    public var causationId: UUID?
    public var metadata: Data
    public var payload: Data
    /// `hash(n)` of the chain (32 bytes).
    public var hash: Data

    public init(
        position: UInt64, stream: String, version: UInt64, id: UUID, type: String, schemaVersion: UInt32,
        recordedAt: Int64, actor: String, correlationId: UUID?, causationId: UUID?, metadata: Data,
        payload: Data, hash: Data
    ) {
        self.position = position
        self.stream = stream
        self.version = version
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.metadata = metadata
        self.payload = payload
        self.hash = hash
    }

    public var category: String { StreamName.category(of: stream) }
}

/// What an append returns: the position of every event of the batch, in order.
public struct AppendResult: Sendable, Hashable {
    /// One per proposed event; for a retried event, its original position.
    public var positions: [UInt64]
    /// How many events this call actually added (0 for a pure retry).
    public var appended: Int
    /// The log's head after the append.
    public var head: UInt64

    public init(positions: [UInt64], appended: Int, head: UInt64) {
        self.positions = positions
        self.appended = appended
        self.head = head
    }
}
