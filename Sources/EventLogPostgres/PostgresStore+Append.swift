#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Foundation
import Synchronization

extension PostgresStore {
    public func append(_ batch: [ProposedEvent]) async throws -> AppendResult {
        if batch.isEmpty { return AppendResult(positions: [], appended: 0, head: watcher.head) }
        for (i, e) in batch.enumerated() {
            if let p = RecordCodec.problem(with: e) { throw EventStoreError.invalidEvent(at: i, p, stream: e.stream) }
        }
        return try await enqueue(.append(batch))
    }

    /// Appends events recorded elsewhere, byte for byte (positions, times, hashes): used by
    /// `log copy`. They must continue this log's head and its hash chain exactly.
    public func appendVerbatim(_ events: [RecordedEvent]) async throws {
        if events.isEmpty { return }
        // The same definition of a valid event as every append (an older embedded log may hold
        // one this store cannot: refused with its position, never a trap).
        for e in events {
            if let p = RecordCodec.problem(with: e.asProposed, tombstones: true) {
                throw EventStoreError(.invalidEvent, "event at position \(e.position) cannot be copied: \(p)", stream: e.stream, position: e.position)
            }
        }
        _ = try await enqueue(.verbatim(events))
    }

    private func enqueue(_ kind: Kind) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { c in
            if !queue.submit(Request(kind: kind, continuation: c)) {
                c.resume(throwing: EventStoreError(.closed, "the store is closing"))
            }
        }
    }

    private static func failure(_ error: any Error) -> EventStoreError {
        if let e = error as? EventStoreError { return e }
        if let e = error as? PostgresError {
            if e.code == .uniqueViolation {
                // Another process appended the same event id or stream version concurrently;
                // the head lock makes this rare, and a retry resolves it idempotently.
                return EventStoreError(.retryable, "concurrent append conflict (\(e.message)); retry")
            }
            return e.storeError
        }
        return EventStoreError(.io, "\(error)")
    }

    /// Locks the head row: the one point every appender, in every process, passes in turn.
    static func lockHeadSQL(_ schema: String) -> String {
        "SELECT position, hash FROM \(schema).head WHERE id = 1 FOR UPDATE"
    }

    /// Current version of each stream in $1 (NULL: no stream), one index probe per stream.
    static func versionsSQL(_ schema: String) -> String {
        """
        SELECT s.stream, (SELECT max(e.version) FROM \(schema).events e WHERE e.stream = s.stream)
        FROM unnest($1::text[]) AS s(stream)
        """
    }

    static func versions(_ v: PGRows) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for i in 0..<v.count where !v.isNull(i, 1) { out[try v.text(i, 0)] = UInt64(try v.int8(i, 1)) }
        return out
    }

    /// Runs `body`, which opens the transaction itself (pipelined with its first statements)
    /// and commits it with its last; rolls back if it throws.
    private func inTransaction<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            if writer.isHealthy { _ = try? writer.exec("ROLLBACK") }
            throw error
        }
    }

    /// One transaction for a group of appends. First the optimistic path (`fastCommit`): one
    /// round trip when the writer's cache says what the log holds. Otherwise, or when the
    /// cache turns out stale: lock the head, look up ids and streams, plan, insert, move the
    /// head, notify, commit.
    func commit(_ group: [Request]) {
        let batches: [[ProposedEvent]] = group.map { if case .append(let e) = $0.kind { e } else { [] } }
        var outcome: [Result<AppendResult, EventStoreError>] = []
        do {
            try writer.ensureConnected()
            if let fast = try fastCommit(batches) {
                outcome = fast
            } else {
                outcome = try lockedCommit(batches)
            }
        } catch {
            cache.invalidate()
            let failure = Self.failure(error)
            for r in group { r.continuation.resume(throwing: failure) }
            return
        }
        if let head = outcome.compactMap({ try? $0.get().head }).max() { watcher.publish(head) }
        for (r, o) in zip(group, outcome) {
            switch o {
            case .success(let v): r.continuation.resume(returning: v)
            case .failure(let e): r.continuation.resume(throwing: e)
            }
        }
    }

    /// Microseconds since the Unix epoch, UTC, from this process's clock (as the embedded store).
    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// What each request of a committed group is told.
    private static func results(_ plans: [Result<AppendPlanner.Planned, EventStoreError>], head: UInt64) -> [Result<AppendResult, EventStoreError>] {
        plans.map { plan in plan.map { AppendResult(positions: $0.positions, appended: $0.fresh.count, head: head) } }
    }

    /// Positions, versions and hash chain for the planned new events.
    private static func records(
        _ batches: [[ProposedEvent]], _ plans: [Result<AppendPlanner.Planned, EventStoreError>], previous: Data, recordedAt: Int64
    ) -> (rows: [RecordedEvent], hash: Data) {
        var rows: [RecordedEvent] = []
        var hash = previous
        for (events, plan) in zip(batches, plans) {
            guard case .success(let p) = plan else { continue }
            for f in p.fresh {
                let e = events[f.index]
                let header = RecordCodec.header(position: f.position, version: f.version, event: e, recordedAt: recordedAt)
                hash = RecordCodec.chainHash(previous: hash, header: header, payload: e.payload)
                rows.append(
                    RecordedEvent(
                        position: f.position, stream: e.stream, version: f.version, id: e.id, type: e.type,
                        schemaVersion: e.schemaVersion, recordedAt: recordedAt, actor: e.actor, correlationId: e.correlationId,
                        causationId: e.causationId, metadata: e.metadata, payload: e.payload, hash: hash))
            }
        }
        return (rows, hash)
    }

    /// The optimistic path: plan against the cache, then in ONE pipelined round trip BEGIN,
    /// move the head only if it is still where the cache says (`WHERE position = cached`),
    /// insert only if it moved, notify, COMMIT. The head row lock still orders every append,
    /// in every process; if another writer moved the head meanwhile, nothing is written and
    /// nil sends the group down the locked path. Expectation failures and id reuse are never
    /// decided from the cache: any request that does not plan cleanly, or an id that turns
    /// out to exist (unique violation), also returns nil.
    private func fastCommit(_ batches: [[ProposedEvent]]) throws -> [Result<AppendResult, EventStoreError>]? {
        guard cache.valid, options.optimistic else { return nil }
        var lookup = AppendPlanner.Lookup()
        for events in batches {
            for e in events {
                guard let known = cache.versions[e.stream] else { return nil }
                if let v = known { lookup.setVersion(v, of: e.stream) }
            }
        }
        let plans = AppendPlanner.plan(batches, next: cache.head + 1, lookup: lookup)
        for p in plans { guard case .success = p else { return nil } }
        let (rows, hash) = Self.records(batches, plans, previous: cache.hash, recordedAt: Self.now())
        guard let last = rows.last else { return nil }
        let sql = """
            WITH moved AS (UPDATE \(schema).head SET position = $15, hash = $16 WHERE id = 1 AND position = $17 RETURNING 1),
            inserted AS (INSERT INTO \(schema).events (\(Self.insertColumns)) \(Self.unnestSQL) WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1)
            SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM inserted),
                CASE WHEN EXISTS (SELECT 1 FROM moved) THEN pg_notify($18, $19) END
            """
        let params =
            Self.rowParams(rows) + [
                .int8(Int64(last.position)), .bytea(hash), .int8(Int64(cache.head)), .text(channel), .text(String(last.position)),
            ]
        let r: [PGRows]
        do {
            try writer.prepareOnce(sql, params)
            r = try inTransaction { try writer.pipeline([("BEGIN", []), (sql, params), ("COMMIT", [])]) }
        } catch let e as PostgresError where e.code == .uniqueViolation {
            // An id of the group is already in the log (a retry): the locked path decides.
            cache.invalidate()
            return nil
        }
        guard try r[1].int8(0, 0) == 1, try r[1].int8(0, 1) == Int64(rows.count) else {
            // Another writer moved the head: nothing was written.
            cache.invalidate()
            return nil
        }
        cache.advance(rows: rows, hash: hash)
        return Self.results(plans, head: last.position)
    }

    /// The locked path: two round trips (BEGIN + head lock + lookups; insert + head + COMMIT).
    private func lockedCommit(_ batches: [[ProposedEvent]]) throws -> [Result<AppendResult, EventStoreError>] {
        try inTransaction { () throws -> [Result<AppendResult, EventStoreError>] in
            // Round trip 1: BEGIN, lock the head, look up ids and stream versions.
            let ids = batches.flatMap { $0.map(\.id) }
            let streams = Array(Set(batches.flatMap { $0.map(\.stream) }))
            let r = try writer.pipeline([
                ("BEGIN", []),
                (Self.lockHeadSQL(schema), []),
                ("SELECT \(Self.columns) FROM \(schema).events WHERE event_id = ANY($1)", [.uuidArray(ids)]),
                (Self.versionsSQL(schema), [.textArray(streams)]),
            ])
            let head = (position: UInt64(try r[1].int8(0, 0)), hash: Data(try r[1].bytes(0, 1)))
            var lookup = AppendPlanner.Lookup()
            for e in try Self.events(r[2]) { lookup.known[e.id] = e }
            let versions = try Self.versions(r[3])
            for (stream, version) in versions { lookup.setVersion(version, of: stream) }

            let plans = AppendPlanner.plan(batches, next: head.position + 1, lookup: lookup)
            let (rows, hash) = Self.records(batches, plans, previous: head.hash, recordedAt: Self.now())
            let newHead = rows.last?.position ?? head.position
            // Round trip 2: insert, move the head, notify, COMMIT.
            try insert(rows, newHead: newHead, hash: hash, commit: true)
            // What the log now holds, for the next group's optimistic path.
            cache.reset(head: head.position, hash: head.hash)
            for s in streams { cache.versions[s] = .some(versions[s]) }
            cache.advance(rows: rows, hash: hash)
            return Self.results(plans, head: newHead)
        }
    }

    func commitVerbatim(_ request: Request) {
        guard case .verbatim(let events) = request.kind else { return }
        cache.invalidate()
        do {
            try writer.ensureConnected()
            let result = try inTransaction { () throws -> AppendResult in
                let r = try writer.pipeline([
                    ("BEGIN", []), (Self.lockHeadSQL(schema), []), (Self.versionsSQL(schema), [.textArray(Array(Set(events.map(\.stream))))]),
                ])
                let head = (position: UInt64(try r[1].int8(0, 0)), hash: Data(try r[1].bytes(0, 1)))
                var versions = try Self.versions(r[2])
                var hash = head.hash
                var expected = head.position + 1
                for e in events {
                    guard e.position == expected else {
                        throw EventStoreError(.invalidArgument, "copy must continue at position \(expected), got \(e.position)", position: e.position)
                    }
                    let nextVersion = versions[e.stream].map { $0 + 1 } ?? 0
                    guard e.version == nextVersion else {
                        throw EventStoreError(
                            .invalidArgument, "stream '\(e.stream)' continues at version \(nextVersion), got \(e.version)", position: e.position)
                    }
                    hash = RecordCodec.expectedHash(of: e, previous: hash)
                    guard hash == e.hash else {
                        throw EventStoreError(.tampering, "copied event does not continue the hash chain", position: e.position)
                    }
                    versions[e.stream] = e.version
                    expected += 1
                }
                try insert(events, newHead: events[events.count - 1].position, hash: hash, commit: true, viaCopy: true)
                return AppendResult(positions: events.map(\.position), appended: events.count, head: events[events.count - 1].position)
            }
            watcher.publish(result.head)
            request.continuation.resume(returning: result)
        } catch {
            request.continuation.resume(throwing: Self.failure(error))
        }
    }

    /// Inserts the rows, moves the head, notifies and (optionally) commits.
    ///
    /// Appends: one statement per 5,000 rows, the columns as 14 binary array parameters into
    /// `INSERT … SELECT * FROM unnest(…)` (a constant statement, no hex or text parsing); the
    /// last one also moves the head and sends the NOTIFY (data-modifying CTEs), pipelined with
    /// COMMIT, so the write is one round trip. Same-window A/B on the locked path against COPY
    /// (text): the arrays were faster (benchmark notes: "PostgreSQL inserts"). `log copy` batches
    /// (`viaCopy`) of `copyThreshold` rows or more use COPY.
    private func insert(_ rows: [RecordedEvent], newHead: UInt64, hash: Data, commit: Bool, viaCopy: Bool = false) throws {
        if rows.isEmpty {
            if commit { try writer.exec("COMMIT") }
            return
        }
        if viaCopy && rows.count >= options.copyThreshold {
            try writer.copyIn(
                "COPY \(schema).events (position, stream, category, version, event_id, type, schema_version, recorded_at, actor, correlation_id, causation_id, metadata, payload, hash) FROM STDIN",
                data: Self.copyText(rows))
            let move = (
                "WITH moved AS (UPDATE \(schema).head SET position = $1, hash = $2 WHERE id = 1 RETURNING 1) SELECT (SELECT count(*) FROM moved), pg_notify($3, $4)",
                [PGParam.int8(Int64(newHead)), .bytea(hash), .text(channel), .text(String(newHead))]
            )
            _ = try writer.pipeline(commit ? [move, ("COMMIT", [])] : [move])
            return
        }
        for chunk in stride(from: 0, to: rows.count, by: 5000) {
            let part = Array(rows[chunk..<min(rows.count, chunk + 5000)])
            var params = Self.rowParams(part)
            if chunk + 5000 < rows.count {
                try writer.exec("INSERT INTO \(schema).events (\(Self.insertColumns)) \(Self.unnestSQL)", params)
                continue
            }
            let sql = """
                WITH inserted AS (INSERT INTO \(schema).events (\(Self.insertColumns)) \(Self.unnestSQL) RETURNING 1),
                moved AS (UPDATE \(schema).head SET position = $15, hash = $16 WHERE id = 1 RETURNING 1)
                SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM moved), pg_notify($17, $18)
                """
            params += [.int8(Int64(newHead)), .bytea(hash), .text(channel), .text(String(newHead))]
            _ = try writer.pipeline(commit ? [(sql, params), ("COMMIT", [])] : [(sql, params)])
        }
    }

    static let insertColumns =
        "position, stream, category, version, event_id, type, schema_version, recorded_at, actor, correlation_id, causation_id, metadata, payload, hash"
    static let unnestSQL =
        "SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::uuid[], $6::text[], $7::int4[], $8::int8[], $9::text[], $10::uuid[], $11::uuid[], $12::bytea[], $13::bytea[], $14::bytea[])"

    /// The 14 event columns as binary arrays ($1 … $14 of `unnestSQL`).
    static func rowParams(_ rows: [RecordedEvent]) -> [PGParam] {
        let n = rows.count
        var position = PGBinaryArray(.int8, capacity: n * 12)
        var stream = PGBinaryArray(.text, capacity: n * 24)
        var category = PGBinaryArray(.text, capacity: n * 16)
        var version = PGBinaryArray(.int8, capacity: n * 12)
        var eventId = PGBinaryArray(.uuid, capacity: n * 20)
        var type = PGBinaryArray(.text, capacity: n * 24)
        var schemaVersion = PGBinaryArray(.int4, capacity: n * 8)
        var recordedAt = PGBinaryArray(.int8, capacity: n * 12)
        var actor = PGBinaryArray(.text, capacity: n * 16)
        var correlation = PGBinaryArray(.uuid, capacity: n * 20)
        var causation = PGBinaryArray(.uuid, capacity: n * 20)
        var metadata = PGBinaryArray(.bytea, capacity: n * 8)
        var payload = PGBinaryArray(.bytea, capacity: rows.reduce(0) { $0 + $1.payload.count + 4 })
        var hash = PGBinaryArray(.bytea, capacity: n * 36)
        for e in rows {
            position.append(int8: Int64(e.position))
            stream.append(text: e.stream)
            category.append(text: e.category)
            version.append(int8: Int64(e.version))
            eventId.append(uuid: e.id)
            type.append(text: e.type)
            schemaVersion.append(int4: Int32(e.schemaVersion))
            recordedAt.append(int8: e.recordedAt)
            actor.append(text: e.actor)
            if let c = e.correlationId { correlation.append(uuid: c) } else { correlation.appendNull() }
            if let c = e.causationId { causation.append(uuid: c) } else { causation.appendNull() }
            metadata.append(data: e.metadata)
            payload.append(data: e.payload)
            hash.append(data: e.hash)
        }
        return [
            position, stream, category, version, eventId, type, schemaVersion, recordedAt, actor, correlation, causation, metadata, payload, hash,
        ]
        .map { .binaryArray($0) }
    }

    /// `log copy` batches of this many rows or more go through COPY (`PRESIDIO_PG_COPY_ROWS`
    /// overrides it, for measuring both paths on a given server).

    /// Rows in COPY text format: tab-separated, `\N` for NULL, bytea as `\\x` hex.
    static func copyText(_ rows: [RecordedEvent]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 700)
        let hexDigits = Array("0123456789abcdef".utf8)
        func text(_ s: String) {
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
                case 0x09: out += [0x5C, UInt8(ascii: "t")]
                case 0x0A: out += [0x5C, UInt8(ascii: "n")]
                case 0x0D: out += [0x5C, UInt8(ascii: "r")]
                default: out.append(b)
                }
            }
        }
        func bytea(_ d: Data) {
            out += [0x5C, 0x5C, UInt8(ascii: "x")]
            for b in d {
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            }
        }
        func tab() { out.append(0x09) }
        for e in rows {
            text(String(e.position)); tab()
            text(e.stream); tab()
            text(e.category); tab()
            text(String(e.version)); tab()
            text(e.id.uuidString); tab()
            text(e.type); tab()
            text(String(e.schemaVersion)); tab()
            text(String(e.recordedAt)); tab()
            text(e.actor); tab()
            if let c = e.correlationId { text(c.uuidString) } else { out += [0x5C, UInt8(ascii: "N")] }
            tab()
            if let c = e.causationId { text(c.uuidString) } else { out += [0x5C, UInt8(ascii: "N")] }
            tab()
            bytea(e.metadata); tab()
            bytea(e.payload); tab()
            bytea(e.hash)
            out.append(0x0A)
        }
        return out
    }

    /// LISTENs for new heads and, as a fallback for lost notifications or a reconnect, polls
    /// the head once a second. Either way subscribers re-read from their own position, so a
    /// missed wake-up delays delivery but never skips an event.
    func listenLoop() {
        var conn: PGConnection?
        var lastPoll = Date.distantPast
        while !listenerStop.load(ordering: .acquiring) {
            do {
                if conn == nil || !conn!.isHealthy {
                    let c = try PGConnection(conninfo: conninfo)
                    try c.exec("LISTEN \(channel)")
                    conn = c
                    lastPoll = .distantPast
                }
                guard let c = conn else { continue }
                var pfd = pollfd(fd: c.socket, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 200) > 0 {
                    for n in try c.drainNotifications() where n.channel == channel {
                        if let p = UInt64(n.payload) { watcher.publish(p) }
                    }
                }
                if Date().timeIntervalSince(lastPoll) >= 1 {
                    lastPoll = Date()
                    let head = try c.exec("SELECT position FROM \(schema).head WHERE id = 1").int8(0, 0)
                    watcher.publish(UInt64(head))
                }
            } catch {
                conn = nil
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        listenerDone.signal()
    }
}
