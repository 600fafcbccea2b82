import Foundation

/// The one error type of the event log, for both stores.
///
/// Shaped like postgres-nio's `PSQLError`: a struct holding a `Code` that wraps a private enum,
/// so cases can be added without breaking callers, plus the context an operator needs (stream,
/// position, segment, offset). `description` is one line, fit for a CLI's stderr.
public struct EventStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case wrongExpectedVersion = "wrong expected version"
            case duplicateEventId = "duplicate event id"
            case invalidEvent = "invalid event"
            case corruption = "corruption"
            case tampering = "hash chain break"
            case io = "i/o error"
            case closed = "store closed"
            case readOnly = "read-only store"
            case locked = "data folder locked"
            case connection = "connection error"
            case retryable = "retryable failure"
            case schema = "schema error"
            case invalidArgument = "invalid argument"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { base.rawValue }

        /// A stream's actual version did not match the append's expectation.
        public static let wrongExpectedVersion = Code(.wrongExpectedVersion)
        /// An event id already in the log arrived with different content.
        public static let duplicateEventId = Code(.duplicateEventId)
        /// The event itself is malformed (stream name, type, JSON, sizes).
        public static let invalidEvent = Code(.invalidEvent)
        /// Stored bytes fail a CRC or framing check.
        public static let corruption = Code(.corruption)
        /// Stored bytes pass their CRC but the hash chain does not recompute.
        public static let tampering = Code(.tampering)
        public static let io = Code(.io)
        public static let closed = Code(.closed)
        public static let readOnly = Code(.readOnly)
        /// Another process holds the data folder.
        public static let locked = Code(.locked)
        public static let connection = Code(.connection)
        /// The operation failed in a way that an identical retry may fix (connection lost,
        /// serialization failure). Appends are idempotent by event id, so retrying is safe.
        public static let retryable = Code(.retryable)
        public static let schema = Code(.schema)
        public static let invalidArgument = Code(.invalidArgument)
    }

    public var code: Code
    public var message: String
    public var stream: String?
    public var position: UInt64?
    public var segment: String?
    public var offset: UInt64?
    /// For `.invalidEvent`: the index of the refused event in its batch, and why.
    public var eventIndex: Int?
    public var eventProblem: String?

    /// An event of a batch that no store accepts (every store refuses the same things; see
    /// `RecordCodec.problem`). The message names it as `events[i].field: reason`.
    public static func invalidEvent(at index: Int, _ problem: String, stream: String) -> EventStoreError {
        var e = EventStoreError(.invalidEvent, "events[\(index)].\(problem)", stream: stream)
        e.eventIndex = index
        e.eventProblem = problem
        return e
    }

    public init(
        _ code: Code, _ message: String, stream: String? = nil, position: UInt64? = nil,
        segment: String? = nil, offset: UInt64? = nil
    ) {
        self.code = code
        self.message = message
        self.stream = stream
        self.position = position
        self.segment = segment
        self.offset = offset
    }

    public var description: String {
        var parts = ["\(code): \(message)"]
        if let position { parts.append("position \(position)") }
        if let segment { parts.append("segment \(segment)") }
        if let offset { parts.append("offset \(offset)") }
        return parts.joined(separator: "; ")
    }

    /// True when an identical retry may succeed.
    public var isRetryable: Bool { code == .retryable || code == .connection }
}
