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
            if let p = RecordCodec.problem(with: e) { throw EventStoreError(.invalidEvent, "events[\(i)].\(p)", stream: e.stream) }
        }
        return try await enqueue(.append(batch))
    }

    /// Appends events recorded elsewhere, byte for byte (positions, times, hashes): used by
    /// `log copy`. They must continue this log's head and its hash chain exactly.
    public func appendVerbatim(_ events: [RecordedEvent]) async throws {
        if events.isEmpty { return }
        _ = try await enqueue(.verbatim(events))
    }

    private func enqueue(_ kind: Kind) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { c in
            condition.lock()
            if stopping {
                condition.unlock()
                c.resume(throwing: EventStoreError(.closed, "the store is closing"))
                return
            }
            queue.append(Request(kind: kind, continuation: c))
            condition.signal()
            condition.unlock()
        }
    }

    func writerLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                break
            }
            var group = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            // Verbatim copies commit alone; ordinary appends share one transaction.
            while !group.isEmpty {
                if case .verbatim = group[0].kind {
                    commitVerbatim(group.removeFirst())
                } else {
                    let n = group.firstIndex { if case .verbatim = $0.kind { true } else { false } } ?? group.count
                    commit(Array(group[..<n]))
                    group.removeFirst(n)
                }
            }
        }
        writerDone.signal()
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

    private func lockHead() throws -> (position: UInt64, hash: Data, now: Int64) {
        let r = try writer.exec(
            "SELECT position, hash, (extract(epoch FROM clock_timestamp()) * 1000000)::int8 FROM \(schema).head WHERE id = 1 FOR UPDATE")
        return (UInt64(try r.int8(0, 0)), Data(try r.bytes(0, 1)), try r.int8(0, 2))
    }

    /// One transaction for a group of appends: lock the head, look up ids and streams, plan,
    /// insert (multi-row), move the head, notify, commit.
    private func commit(_ group: [Request]) {
        let batches: [[ProposedEvent]] = group.map { if case .append(let e) = $0.kind { e } else { [] } }
        var outcome: [Result<AppendResult, EventStoreError>] = []
        do {
            try writer.ensureConnected()
            outcome = try writer.transaction { () throws -> [Result<AppendResult, EventStoreError>] in
                let head = try lockHead()
                var lookup = AppendPlanner.Lookup()
                let ids = batches.flatMap { $0.map(\.id) }
                let known = try Self.events(
                    writer.exec("SELECT \(Self.columns) FROM \(schema).events WHERE event_id = ANY($1)", [.uuidArray(ids)]))
                for e in known { lookup.known[e.id] = e }
                let streams = Array(Set(batches.flatMap { $0.map(\.stream) }))
                let v = try writer.exec(
                    "SELECT stream, max(version) FROM \(schema).events WHERE stream = ANY($1) GROUP BY stream", [.textArray(streams)])
                for i in 0..<v.count { lookup.versions[try v.text(i, 0)] = UInt64(try v.int8(i, 1)) }

                let plans = AppendPlanner.plan(batches, next: head.position + 1, lookup: lookup)
                var rows: [RecordedEvent] = []
                var hash = head.hash
                for (events, plan) in zip(batches, plans) {
                    guard case .success(let p) = plan else { continue }
                    for f in p.fresh {
                        let e = events[f.index]
                        let header = RecordCodec.header(position: f.position, version: f.version, event: e, recordedAt: head.now)
                        hash = RecordCodec.chainHash(previous: hash, header: header, payload: e.payload)
                        rows.append(
                            RecordedEvent(
                                position: f.position, stream: e.stream, version: f.version, id: e.id, type: e.type,
                                schemaVersion: e.schemaVersion, recordedAt: head.now, actor: e.actor, correlationId: e.correlationId,
                                causationId: e.causationId, metadata: e.metadata, payload: e.payload, hash: hash))
                    }
                }
                let newHead = rows.last?.position ?? head.position
                if !rows.isEmpty { try insert(rows, newHead: newHead, hash: hash) }
                return plans.map { plan in
                    plan.map { AppendResult(positions: $0.positions, appended: $0.fresh.count, head: newHead) }
                }
            }
        } catch {
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

    private func commitVerbatim(_ request: Request) {
        guard case .verbatim(let events) = request.kind else { return }
        do {
            try writer.ensureConnected()
            let result = try writer.transaction { () throws -> AppendResult in
                let head = try lockHead()
                let streams = Array(Set(events.map(\.stream)))
                let v = try writer.exec(
                    "SELECT stream, max(version) FROM \(schema).events WHERE stream = ANY($1) GROUP BY stream", [.textArray(streams)])
                var versions: [String: UInt64] = [:]
                for i in 0..<v.count { versions[try v.text(i, 0)] = UInt64(try v.int8(i, 1)) }
                var hash = head.hash
                var expected = head.position + 1
                for e in events {
                    guard e.position == expected else {
                        throw EventStoreError(.invalidArgument, "copy must continue at position \(expected), got \(e.position)", position: e.position)
                    }
                    let nextVersion = versions[e.stream].map { $0 + 1 } ?? 0
                    guard e.version == nextVersion else {
                        throw EventStoreError(.invalidArgument, "stream '\(e.stream)' continues at version \(nextVersion), got \(e.version)", position: e.position)
                    }
                    hash = RecordCodec.expectedHash(of: e, previous: hash)
                    guard hash == e.hash else {
                        throw EventStoreError(.tampering, "copied event does not continue the hash chain", position: e.position)
                    }
                    versions[e.stream] = e.version
                    expected += 1
                }
                try insert(events, newHead: events[events.count - 1].position, hash: hash)
                return AppendResult(positions: events.map(\.position), appended: events.count, head: events[events.count - 1].position)
            }
            watcher.publish(result.head)
            request.continuation.resume(returning: result)
        } catch {
            request.continuation.resume(throwing: Self.failure(error))
        }
    }

    /// Multi-row INSERT (one round trip per 2,000 rows), head update and NOTIFY.
    private func insert(_ rows: [RecordedEvent], newHead: UInt64, hash: Data) throws {
        let perRow = 14
        for chunk in stride(from: 0, to: rows.count, by: 2000) {
            let part = rows[chunk..<min(rows.count, chunk + 2000)]
            var sql = "INSERT INTO \(schema).events (position, stream, category, version, event_id, type, schema_version, recorded_at, actor, correlation_id, causation_id, metadata, payload, hash) VALUES "
            var params: [PGParam] = []
            params.reserveCapacity(part.count * perRow)
            for (k, e) in part.enumerated() {
                let b = k * perRow
                sql += (k == 0 ? "(" : ",(") + (1...perRow).map { "$\(b + $0)" }.joined(separator: ",") + ")"
                params += [
                    .int8(Int64(e.position)), .text(e.stream), .text(e.category), .int8(Int64(e.version)), .uuid(e.id), .text(e.type),
                    .int4(Int32(e.schemaVersion)), .int8(e.recordedAt), .text(e.actor),
                    e.correlationId.map { .uuid($0) } ?? .null(oid: 2950), e.causationId.map { .uuid($0) } ?? .null(oid: 2950),
                    .bytea(e.metadata), .bytea(e.payload), .bytea(e.hash),
                ]
            }
            try writer.exec(sql, params)
        }
        try writer.exec("UPDATE \(schema).head SET position = $1, hash = $2 WHERE id = 1", [.int8(Int64(newHead)), .bytea(hash)])
        try writer.exec("SELECT pg_notify($1, $2)", [.text(channel), .text(String(newHead))])
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
