/// What an append expects of a stream before the event it is attached to.
///
/// Stream versions count from 0: a stream with one event is at version 0.
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must have at least one event.
    case streamExists
    /// The stream's last event must have exactly this version.
    case exact(UInt64)

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .streamExists: "stream exists"
        case .exact(let v): "version \(v)"
        }
    }

    /// Whether a stream currently at `current` (nil: no stream) satisfies the expectation.
    public func isSatisfied(by current: UInt64?) -> Bool {
        switch self {
        case .any: true
        case .noStream: current == nil
        case .streamExists: current != nil
        case .exact(let v): current == v
        }
    }

    /// Parses the NDJSON/CLI spelling: an integer, or `none`, `exists`, `any`.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "any": self = .any
        case "none", "nostream", "no-stream": self = .noStream
        case "exists", "stream-exists": self = .streamExists
        default:
            guard let v = UInt64(text) else { return nil }
            self = .exact(v)
        }
    }
}

extension EventStoreError {
    static func reusedId(_ e: ProposedEvent, position: UInt64) -> EventStoreError {
        EventStoreError(
            .duplicateEventId, "event id \(e.id) is already used by position \(position) with other content", stream: e.stream,
            position: position)
    }

    static func wrongVersion(stream: String, expected: ExpectedVersion, actual: UInt64?) -> EventStoreError {
        let actualText = actual.map { "version \($0)" } ?? "no stream"
        return EventStoreError(
            .wrongExpectedVersion, "stream '\(stream)' expected \(expected), actual \(actualText)", stream: stream)
    }
}
