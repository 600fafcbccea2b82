import EventLog

/// A failure reported by libpq or the server, with its SQLSTATE mapped to a code.
///
/// Same shape as `EventStoreError`: a struct over a private enum so codes can grow.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case uniqueViolation = "unique violation"
            case serializationFailure = "serialization failure"
            case deadlock = "deadlock detected"
            case connectionLost = "connection lost"
            case connectFailed = "cannot connect"
            case connectRejected = "connection rejected"
            case invalidConnectionString = "invalid connection string"
            case undefinedTable = "undefined table"
            case adminShutdown = "server shutting down"
            case queryCanceled = "query canceled"
            case other = "server error"
            case protocolViolation = "unexpected result"
        }
        private let base: Base
        private init(_ b: Base) { base = b }
        public var description: String { base.rawValue }
        public static let uniqueViolation = Code(.uniqueViolation)
        public static let serializationFailure = Code(.serializationFailure)
        public static let deadlock = Code(.deadlock)
        public static let connectionLost = Code(.connectionLost)
        public static let connectFailed = Code(.connectFailed)
        /// The server answered and refused (password, role, database, pg_hba): retrying the
        /// same thing cannot help.
        public static let connectRejected = Code(.connectRejected)
        public static let invalidConnectionString = Code(.invalidConnectionString)
        public static let undefinedTable = Code(.undefinedTable)
        public static let adminShutdown = Code(.adminShutdown)
        public static let queryCanceled = Code(.queryCanceled)
        public static let other = Code(.other)
        public static let protocolViolation = Code(.protocolViolation)

        /// Maps a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
        static func from(sqlstate: String?) -> Code {
            guard let s = sqlstate else { return .connectionLost }
            switch s {
            case "23505": return .uniqueViolation
            case "40001": return .serializationFailure
            case "40P01": return .deadlock
            case "42P01", "3F000": return .undefinedTable
            case "57P01", "57P02", "57P03": return .adminShutdown
            case "57014": return .queryCanceled
            default: return s.hasPrefix("08") ? .connectionLost : .other
            }
        }
    }

    public var code: Code
    public var sqlstate: String?
    public var message: String
    public var constraint: String?

    public var description: String {
        "\(code)\(sqlstate.map { " [\($0)]" } ?? ""): \(message)"
    }

    /// Whether an identical retry may succeed (after a reconnect).
    public var isRetryable: Bool {
        [.serializationFailure, .deadlock, .connectionLost, .adminShutdown, .connectFailed].contains(code)
    }

    /// The event-store view of this failure.
    var storeError: EventStoreError {
        let code: EventStoreError.Code =
            isRetryable ? .retryable : self.code == .invalidConnectionString ? .invalidArgument : self.code == .connectRejected ? .connection : .io
        return EventStoreError(code, "PostgreSQL \(description)")
    }
}
