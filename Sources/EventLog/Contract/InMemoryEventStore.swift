import Foundation
import Synchronization

/// The event log in memory: the same contract as the embedded and the PostgreSQL store (it
/// passes their conformance suite), with the same validation (`RecordCodec.problem`), append
/// planning (`AppendPlanner`) and hash chain, for tests of code that does not test storage and
/// for tools that need a scratch log. Nothing survives the process.
public final class InMemoryEventStore: EventStore, Sendable {
    private struct State {
        var events: [RecordedEvent] = []
        var byId: [UUID: Int] = [:]
        var streams: [String: [Int]] = [:]
        var headHash = RecordCodec.genesisHash
        var closed = false
    }

    private let state = Mutex(State())
    private let watcher = HeadWatcher(head: 0)

    public init() {}

    public func append(_ batch: [ProposedEvent]) async throws -> AppendResult {
        for (i, e) in batch.enumerated() {
            if let p = RecordCodec.problem(with: e) { throw EventStoreError.invalidEvent(at: i, p, stream: e.stream) }
        }
        let result = try state.withLock { s -> AppendResult in
            guard !s.closed else { throw EventStoreError(.closed, "the store is closed") }
            var known: [UUID: RecordedEvent] = [:]
            var versions: [String: UInt64] = [:]
            for e in batch {
                if let k = s.byId[e.id] { known[e.id] = s.events[k] }
                if let last = s.streams[e.stream]?.last { versions[e.stream] = s.events[last].version }
            }
            let head = UInt64(s.events.count)
            switch AppendPlanner.plan([batch], next: head + 1, lookup: AppendPlanner.Lookup(known: known, versions: versions))[0] {
            case .failure(let error):
                throw error
            case .success(let plan):
                // Commit times never go backwards, as in the other stores.
                let now = max(Int64(Date().timeIntervalSince1970 * 1_000_000), s.events.last?.recordedAt ?? 0)
                for f in plan.fresh {
                    let e = batch[f.index]
                    var r = RecordedEvent(
                        position: f.position, stream: e.stream, version: f.version, id: e.id, type: e.type, schemaVersion: e.schemaVersion,
                        recordedAt: now, actor: e.actor, correlationId: e.correlationId, causationId: e.causationId, metadata: e.metadata,
                        payload: e.payload, hash: Data())
                    r.hash = RecordCodec.expectedHash(of: r, previous: s.headHash)
                    Self.add(r, to: &s)
                }
                return AppendResult(positions: plan.positions, appended: plan.fresh.count, head: UInt64(s.events.count))
            }
        }
        watcher.publish(result.head)
        return result
    }

    private static func add(_ r: RecordedEvent, to s: inout State) {
        s.byId[r.id] = s.events.count
        s.streams[r.stream, default: []].append(s.events.count)
        s.headHash = r.hash
        s.events.append(r)
    }

    public func read(from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        try state.withLock { s in
            try Self.open(s)
            let start = Int(max(1, position)) - 1
            guard start < s.events.count, limit > 0 else { return [] }
            return Array(s.events[start..<min(s.events.count, start + limit)])
        }
    }

    public func readStream(_ stream: String, from version: UInt64, limit: Int) async throws -> [RecordedEvent] {
        try state.withLock { s in
            try Self.open(s)
            guard let indices = s.streams[stream], version < UInt64(indices.count), limit > 0 else { return [] }
            return indices[Int(version)..<min(indices.count, Int(version) + limit)].map { s.events[$0] }
        }
    }

    public func readCategory(_ category: String, from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        try state.withLock { s in
            try Self.open(s)
            let start = Int(max(1, position)) - 1
            guard start < s.events.count, limit > 0 else { return [] }
            var out: [RecordedEvent] = []
            for e in s.events[start...] where e.category == category {
                out.append(e)
                if out.count == limit { break }
            }
            return out
        }
    }

    public func headPosition() async throws -> UInt64 {
        try state.withLock { s in
            try Self.open(s); return UInt64(s.events.count)
        }
    }

    public func streamVersion(_ stream: String) async throws -> UInt64? {
        try state.withLock { s in
            try Self.open(s)
            return s.streams[stream]?.last.map { s.events[$0].version }
        }
    }

    public func position(ofEventId id: UUID) async throws -> UInt64? {
        try state.withLock { s in
            try Self.open(s)
            return s.byId[id].map { UInt64($0 + 1) }
        }
    }

    public func waitForAppend(after position: UInt64) async throws { try await watcher.wait(after: position) }

    public func stats() async throws -> StoreStats {
        try state.withLock { s in
            try Self.open(s)
            let bytes = s.events.reduce(0) { $0 + UInt64($1.payload.count + $1.metadata.count) }
            return StoreStats(
                head: UInt64(s.events.count), headHash: s.headHash.hex, events: UInt64(s.events.count), streams: UInt64(s.streams.count),
                categories: UInt64(Set(s.streams.keys.map { StreamName.category(of: $0) }).count), bytes: bytes, segments: 0, backend: "memory")
        }
    }

    public func verify() async throws -> VerifyReport {
        try state.withLock { s in
            try Self.open(s)
            var checker = ChainVerifier()
            for e in s.events {
                if let (_, problem) = checker.check(e) {
                    return VerifyReport(
                        intact: false, eventsChecked: checker.checked, headPosition: UInt64(s.events.count), headHash: s.headHash.hex,
                        firstBadPosition: e.position, problem: problem)
                }
            }
            var report = VerifyReport(
                intact: true, eventsChecked: checker.checked, headPosition: UInt64(s.events.count), headHash: s.headHash.hex)
            checker.redactions.finish(&report)
            return report
        }
    }

    public func applyRedaction(position: UInt64, payload: Data) async throws {
        guard let current = try await read(from: position, limit: 1).first else {
            throw EventStoreError(.invalidArgument, "position: no event at \(position)")
        }
        if let problem = try await redactionProblem(position: position, current: current, payload: payload) {
            throw EventStoreError(.invalidArgument, "cannot redact position \(position): \(problem)", position: position)
        }
        overwritePayload(position: position, payload: payload)
    }

    /// Replaces a payload with no check at all: for tests that play a tamperer.
    package func overwritePayload(position: UInt64, payload: Data) {
        state.withLock { $0.events[Int(position) - 1].payload = payload }
    }

    public func appendVerbatim(_ events: [RecordedEvent]) async throws {
        if events.isEmpty { return }
        let head = try state.withLock { s -> UInt64 in
            guard !s.closed else { throw EventStoreError(.closed, "the store is closed") }
            var previous = s.headHash
            var versions: [String: UInt64] = [:]
            for (k, e) in events.enumerated() {
                let position = UInt64(s.events.count + k + 1)
                let current = versions[e.stream] ?? s.streams[e.stream]?.last.map { s.events[$0].version }
                let problem: String? =
                    if e.position != position {
                        "copy must continue at position \(position), got \(e.position)"
                    } else if e.version != current.map({ $0 + 1 }) ?? 0 {
                        "stream '\(e.stream)' continues at version \(current.map { $0 + 1 } ?? 0), got \(e.version)"
                    } else if RecordCodec.expectedHash(of: e, previous: previous) != e.hash { "copied event does not continue the hash chain" } else {
                        RecordCodec.problem(with: e.asProposed, tombstones: true)
                    }
                if let problem { throw EventStoreError(.invalidArgument, problem, stream: e.stream, position: e.position) }
                versions[e.stream] = e.version
                previous = e.hash
            }
            for e in events { Self.add(e, to: &s) }
            return UInt64(s.events.count)
        }
        watcher.publish(head)
    }

    public func close() {
        state.withLock { $0.closed = true }
        watcher.close()
    }

    private static func open(_ s: State) throws {
        if s.closed { throw EventStoreError(.closed, "the store is closed") }
    }
}
