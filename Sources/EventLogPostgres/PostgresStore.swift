import EventLog
import Foundation
import Synchronization

/// The event log on PostgreSQL, through libpq: the same `EventStore` semantics as the
/// embedded store, shared by several API nodes and workers.
///
/// Threads and connections (libpq blocks, so none of it runs on the Swift concurrency pool):
/// - one **writer thread** with its own connection does group commit: it takes every append
///   queued in this process since its last transaction and commits them in one transaction;
/// - a few **reader connections**, each behind its own serial dispatch queue;
/// - one **listener thread** with a connection that `LISTEN`s for new heads (and polls the head
///   as a fallback), waking subscriptions.
///
/// Ordering across processes: every append transaction first locks the single `head` row
/// (`SELECT … FOR UPDATE`), assigns positions after it, inserts, moves the head and commits.
/// The lock is held until commit, so positions become visible in commit order with no gaps:
/// a reader that saw position N never later finds a smaller one appear.
public final class PostgresStore: EventStore, @unchecked Sendable {
    // @unchecked: the request queue guards itself; connections are each owned by one thread or queue.

    public let schema: String
    let conninfo: String
    let options: Options

    /// Settings of one store, passed in (the library reads no environment variables).
    public struct Options: Sendable, Hashable {
        /// One round trip per append when the writer's cache of the head is current; off only
        /// to measure the locked path.
        public var optimistic = true
        /// `log copy` batches of at least this many rows use COPY.
        public var copyThreshold = 50
        /// Reader connections.
        public var readers = 3
        public init() {}
    }
    let writer: PGConnection
    private let readers: [Reader]
    private let nextReader = Atomic<Int>(0)
    let watcher: HeadWatcher
    let queue = GroupCommitQueue<Request>()
    /// Writer-thread only (see `WriterCache`).
    var cache = WriterCache()
    let listenerStop = Atomic<Bool>(false)
    let listenerDone = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)
    var channel: String { "\(schema)_events" }

    final class Reader: @unchecked Sendable {
        // @unchecked: the connection is only touched on `queue`.
        let connection: PGConnection
        let queue: DispatchQueue
        init(connection: PGConnection, label: String) {
            self.connection = connection
            queue = DispatchQueue(label: label)
        }
    }

    enum Kind {
        case append([ProposedEvent])
        case verbatim([RecordedEvent])
    }

    final class Request: @unchecked Sendable {
        // @unchecked: handed from one task to the writer thread, resumed once.
        let kind: Kind
        let continuation: CheckedContinuation<AppendResult, any Error>
        init(kind: Kind, continuation: CheckedContinuation<AppendResult, any Error>) {
            self.kind = kind
            self.continuation = continuation
        }
    }

    /// Connects to `url` (`postgres://…`, or empty for the standard `PG*` variables) and checks
    /// that the schema is at the version this build needs.
    public init(url: String, schema: String = "presidio", options: Options = Options()) throws {
        self.schema = try PostgresSchema.validated(schema)
        conninfo = url
        self.options = options
        let readers = options.readers
        do {
            writer = try PGConnection(conninfo: url)
            try PostgresSchema.check(writer, schema: self.schema)
            self.readers = try (0..<max(1, readers)).map {
                Reader(connection: try PGConnection(conninfo: url), label: "presidio.pg.reader.\($0)")
            }
            let head = try writer.exec("SELECT position FROM \(self.schema).head WHERE id = 1").int8(0, 0)
            watcher = HeadWatcher(head: UInt64(head))
        } catch let e as PostgresError {
            throw e.storeError
        }
        queue.start(
            name: "presidio-pg-writer", isSolo: { if case .verbatim = $0.kind { true } else { false } },
            group: { [self] in commit($0) }, solo: { [self] in commitVerbatim($0) })
        let l = Thread { [self] in listenLoop() }
        l.name = "presidio-pg-listener"
        l.start()
    }

    /// Creates or upgrades the schema; returns the migration versions applied.
    public static func migrate(url: String, schema: String = "presidio") throws -> [Int] {
        do {
            let c = try PGConnection(conninfo: url)
            return try PostgresSchema.migrate(c, schema: schema)
        } catch let e as PostgresError {
            throw e.storeError
        }
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.stop()
        listenerStop.store(true, ordering: .releasing)
        listenerDone.wait()
        watcher.close()
    }

    // MARK: Reads (reader connections, each on its own serial queue)

    func withReader<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let r = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        return try await withCheckedThrowingContinuation { c in
            r.queue.async {
                do {
                    try r.connection.ensureConnected()
                    do {
                        c.resume(returning: try body(r.connection))
                    } catch let e as PostgresError where e.code == .connectionLost || e.code == .adminShutdown {
                        // A server restart is only noticed by the next query. Reads have no
                        // side effects, so reconnect and run it once more.
                        try r.connection.reconnect()
                        c.resume(returning: try body(r.connection))
                    }
                } catch let e as PostgresError {
                    c.resume(throwing: e.storeError)
                } catch {
                    c.resume(throwing: error)
                }
            }
        }
    }

    static let columns =
        "position, stream, version, event_id, type, schema_version, recorded_at, actor, correlation_id, causation_id, metadata, payload, hash"

    static func events(_ rows: PGRows) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        out.reserveCapacity(rows.count)
        for i in 0..<rows.count {
            out.append(
                RecordedEvent(
                    position: UInt64(try rows.int8(i, 0)), stream: try rows.text(i, 1), version: UInt64(try rows.int8(i, 2)),
                    id: try rows.uuid(i, 3)!, type: try rows.text(i, 4), schemaVersion: UInt32(truncatingIfNeeded: try rows.int4(i, 5)),
                    recordedAt: try rows.int8(i, 6), actor: try rows.text(i, 7), correlationId: try rows.uuid(i, 8),
                    causationId: try rows.uuid(i, 9), metadata: Data(try rows.bytes(i, 10)), payload: Data(try rows.bytes(i, 11)),
                    hash: Data(try rows.bytes(i, 12))))
        }
        return out
    }

    public func read(from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let s = schema
        return try await withReader { c in
            try Self.events(
                c.exec(
                    "SELECT \(Self.columns) FROM \(s).events WHERE position >= $1 ORDER BY position LIMIT $2",
                    [.int8(Int64(max(position, 1))), .int8(Int64(limit))]))
        }
    }

    public func readStream(_ stream: String, from version: UInt64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let s = schema
        return try await withReader { c in
            try Self.events(
                c.exec(
                    "SELECT \(Self.columns) FROM \(s).events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3",
                    [.text(stream), .int8(Int64(min(version, UInt64(Int64.max)))), .int8(Int64(limit))]))
        }
    }

    public func readCategory(_ category: String, from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let s = schema
        return try await withReader { c in
            try Self.events(
                c.exec(
                    "SELECT \(Self.columns) FROM \(s).events WHERE category = $1 AND position >= $2 ORDER BY position LIMIT $3",
                    [.text(category), .int8(Int64(max(position, 1))), .int8(Int64(limit))]))
        }
    }

    public func headPosition() async throws -> UInt64 {
        let s = schema
        return try await withReader { c in UInt64(try c.exec("SELECT position FROM \(s).head WHERE id = 1").int8(0, 0)) }
    }

    public func streamVersion(_ stream: String) async throws -> UInt64? {
        let s = schema
        return try await withReader { c in
            let r = try c.exec("SELECT max(version) FROM \(s).events WHERE stream = $1", [.text(stream)])
            return r.isNull(0, 0) ? nil : UInt64(try r.int8(0, 0))
        }
    }

    public func position(ofEventId id: UUID) async throws -> UInt64? {
        let s = schema
        return try await withReader { c in
            let r = try c.exec("SELECT position FROM \(s).events WHERE event_id = $1", [.uuid(id)])
            return r.count == 0 ? nil : UInt64(try r.int8(0, 0))
        }
    }

    public func waitForAppend(after position: UInt64) async throws { try await watcher.wait(after: position) }

    public func stats() async throws -> StoreStats {
        let s = schema
        return try await withReader { c in
            let r = try c.exec(
                """
                SELECT h.position, h.hash,
                       (SELECT count(DISTINCT stream) FROM \(s).events),
                       (SELECT count(DISTINCT category) FROM \(s).events),
                       pg_total_relation_size('\(s).events')
                FROM \(s).head h WHERE h.id = 1
                """)
            let head = UInt64(try r.int8(0, 0))
            return StoreStats(
                head: head, headHash: Data(try r.bytes(0, 1)).hex, events: head, streams: UInt64(try r.int8(0, 2)),
                categories: UInt64(try r.int8(0, 3)), bytes: UInt64(try r.int8(0, 4)), segments: 0, backend: "postgres")
        }
    }

    /// Replaces one payload by its tombstone in a transaction that names the position to the
    /// append-only trigger (schema version 4); the row's hash and every other column stay.
    public func applyRedaction(position: UInt64, payload: Data) async throws {
        guard let current = try await read(from: position, limit: 1).first else {
            throw EventStoreError(.invalidArgument, "position: no event at \(position)")
        }
        if let problem = try await redactionProblem(position: position, current: current, payload: payload) {
            throw EventStoreError(.invalidArgument, "cannot redact position \(position): \(problem)", position: position)
        }
        let s = schema
        let updated = try await withReader { c in
            try c.transaction {
                try c.exec("SELECT set_config('presidio.redacting', $1, true)", [.text(String(position))])
                return try c.exec(
                    "UPDATE \(s).events SET payload = $1 WHERE position = $2 AND hash = $3",
                    [.bytea([UInt8](payload)), .int8(Int64(position)), .bytea([UInt8](current.hash))]
                ).affected
            }
        }
        guard updated == 1 else { throw EventStoreError(.retryable, "position \(position) changed while it was redacted; retry") }
    }

    /// Reads the whole table in position order through the shared `ChainVerifier`, then checks
    /// that the head row agrees with the last event.
    public func verify() async throws -> VerifyReport {
        let s = schema
        return try await withReader { c in
            var chain = ChainVerifier()
            let headRow = try c.exec("SELECT position, hash FROM \(s).head WHERE id = 1")
            let head = UInt64(try headRow.int8(0, 0))
            let headHash = Data(try headRow.bytes(0, 1))
            var from: UInt64 = 1
            while true {
                let page = try Self.events(
                    c.exec(
                        "SELECT \(Self.columns) FROM \(s).events WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT 20000",
                        [.int8(Int64(from)), .int8(Int64(head))]))
                guard let last = page.last else { break }
                for e in page {
                    if let (_, problem) = chain.check(e) {
                        return VerifyReport(
                            intact: false, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex,
                            firstBadPosition: chain.lastPosition + 1, problem: problem)
                    }
                }
                from = last.position + 1
            }
            if chain.lastPosition != head || chain.previousHash != headHash {
                return VerifyReport(
                    intact: false, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex,
                    firstBadPosition: chain.lastPosition + 1,
                    problem: "head row says position \(head) hash \(headHash.hex.prefix(16))…, the events end at \(chain.lastPosition)")
            }
            var report = VerifyReport(intact: true, eventsChecked: chain.checked, headPosition: head, headHash: headHash.hex)
            chain.redactions.finish(&report)
            return report
        }
    }
}
