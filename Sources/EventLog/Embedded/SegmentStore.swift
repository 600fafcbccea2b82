import Crypto
import Foundation
import Synchronization

/// The embedded event store: a folder of segment files written by one group-committing writer.
///
/// - One writer thread takes every append queued since its last commit, checks expectations
///   and idempotency in arrival order, writes all accepted events as LZ4 blocks with one
///   `pwrite`, calls `fdatasync` once, and only then acknowledges them. Under load many
///   appenders share one fsync; that is the lever on machines whose syncs are slow.
/// - Readers take a short lock to copy the segment table and head, then `pread` without
///   blocking the writer. They never see past the last durable commit.
/// - On open the active (last) segment is scanned: a torn tail is truncated back to the last
///   complete commit and reported; bad bytes followed by good blocks are corruption and the
///   store refuses to open, naming position, segment and offset.
public final class SegmentStore: EventStore, @unchecked Sendable {
    // @unchecked: mutable state lives in `state` (Mutex) or in writer-thread-only fields
    // (`writer`); the request queue guards itself.

    public struct Options: Sendable {
        /// A segment is sealed once it grows past this size.
        public var segmentSize: UInt64 = 64 << 20
        /// Raw bytes per LZ4 block before a commit is split into several blocks.
        public var maxBlockBytes = 128 << 10
        /// Open without the folder lock, never writing or repairing (audits beside a running server).
        public var readOnly = false
        /// Also quarantine damage at the tail that cannot be told from a torn write (`presidio
        /// log repair`): what it held is lost from the log, and the repair record says so.
        public var repairDamage = false
        /// Write zeros ahead of the active segment's end (1 MiB ahead at first, up to 16 MiB,
        /// never past `segmentSize`), so a commit overwrites allocated blocks instead of
        /// growing the file. Its fdatasync then has no size or allocation to record, and is
        /// markedly faster (benchmark notes: "zero ahead"). PostgreSQL zero-fills its WAL segments for the
        /// same reason. Open tells these zeros from a torn tail (`SegmentStore+Open`).
        public var preallocate = true
        /// Microseconds since the Unix epoch, UTC; injectable for tests.
        public var clock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

        public init(segmentSize: UInt64 = 64 << 20, readOnly: Bool = false) {
            self.segmentSize = segmentSize
            self.readOnly = readOnly
        }
    }

    /// What opening the store had to do.
    public struct RecoveryReport: Sendable, Hashable {
        /// What follows the last complete commit, if anything: read-only opens report it and
        /// change nothing; writable opens quarantine a torn write and refuse damage.
        public var tail: TailFinding?
        /// The cut this open made: the bytes are in the quarantine and the repair is in the log.
        public var repair: LogRepair?
        /// Bytes of an incomplete last commit this open cut off the active segment (zeros
        /// written ahead of it by `Options.preallocate` are not counted).
        public var truncatedBytes: UInt64 { repair?.bytes ?? 0 }
        public var truncatedSegment: String? { repair?.segment }
        /// Events replayed into the stream index from the log: those of the active segment and
        /// of sealed segments without a valid index part.
        public var replayedEvents: UInt64 = 0
        /// Sealed segments whose index entries came from their saved `IndexPart`.
        public var indexParts = 0
        /// Index parts (re)written because they were missing or damaged.
        public var indexPartsRebuilt = 0
    }

    struct SegmentInfo: Sendable {
        var name: String
        var file: SegmentFile
        var first: UInt64
        /// first - 1 while empty.
        var last: UInt64
        /// End of the durable blocks (footer excluded).
        var dataEnd: UInt64
        var sparse: [BlockRef]
        var sealed: Bool
    }

    struct State: Sendable {
        var segments: [SegmentInfo]
        var index: StreamIndex
        var head: UInt64
        var headHash: Data
        var failure: EventStoreError?
        var closed = false
    }

    /// Fields only the writer thread touches after init. `head`/`hash` are what is written,
    /// possibly ahead of the durable `State.head` while the sync stage catches up.
    struct WriterState {
        var active: SegmentFile?
        var writeOffset: UInt64 = 0
        var lastSparseOffset: UInt64 = 0
        /// End of the zeros written ahead of `writeOffset` (see `Options.preallocate`).
        var zeroedEnd: UInt64 = 0
        var head: UInt64 = 0
        var hash = Digest32()
    }

    /// A written commit waiting for its fdatasync.
    struct SyncJob: @unchecked Sendable {
        // @unchecked: the requests are owned by the pipeline until acknowledged.
        let file: SegmentFile
        let endOffset: UInt64
        let head: UInt64
        let hash: Data
        let sparse: [BlockRef]
        let acks: [(request: AppendRequest, result: AppendResult)]
    }

    final class AppendRequest: @unchecked Sendable {
        // @unchecked: created by one task, then owned by the writer thread until resumed.
        let events: [ProposedEvent]
        /// SHA-256 of each payload, computed by the appending task while the writer is idle;
        /// empty when the writer was busy, which then hashes each payload alongside the chain
        /// (`CommitEncoder`): with both cores loaded that costs less CPU in all.
        let digests: [Digest32]
        /// The events' stream names as hashed bytes, also made by the appending task.
        let keys: StreamKeys?
        /// Non-empty for `appendVerbatim` (then `events` is empty).
        let verbatim: [RecordedEvent]
        /// Set for `applyRedaction` (then `events` and `verbatim` are empty).
        let redaction: (position: UInt64, payload: Data)?
        /// Called once with the outcome: an async caller's continuation, or (for the records the
        /// store writes while it opens, `appendWhileOpening`) a semaphore's signal.
        private let reply: @Sendable (Result<AppendResult, any Error>) -> Void
        init(
            events: [ProposedEvent], digests: [Digest32], keys: StreamKeys?, verbatim: [RecordedEvent] = [],
            redaction: (position: UInt64, payload: Data)? = nil, reply: @escaping @Sendable (Result<AppendResult, any Error>) -> Void
        ) {
            self.events = events
            self.digests = digests
            self.keys = keys
            self.verbatim = verbatim
            self.redaction = redaction
            self.reply = reply
        }
        func resume(returning result: AppendResult) { reply(.success(result)) }
        func resume(throwing error: any Error) { reply(.failure(error)) }
    }

    public let directory: String
    public let options: Options
    public let recovery: RecoveryReport
    let state: Mutex<State>
    let watcher: HeadWatcher
    private let lock: DirectoryLock?
    private var writer = WriterState()
    private let queue = GroupCommitQueue<AppendRequest>()
    /// The second stage: `fdatasync` and acknowledgement, while the writer encodes the next
    /// commit. At most 8 written commits wait for it.
    private let syncStage = GroupCommitQueue<SyncJob>(maxQueued: 8)
    /// Saves sealed segments' index parts, in order, off the writer.
    private let partWriter = DispatchQueue(label: "presidio-log-index-parts")
    /// Append calls between their start (before validation) and their return: tells a lone
    /// appender, whose commit may be synced on the writer (`persist`), from a pipeline.
    private let appendsInProgress = Atomic<Int>(0)

    /// Opens (or creates) the store in `directory`, repairing a torn tail.
    public init(directory: String, options: Options = Options()) throws {
        // The helper threads run while a store is open (released by `close`, or here if
        // opening fails).
        Parallel.retain()
        do {
            self.directory = directory
            self.options = options
            if !options.readOnly {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                lock = try DirectoryLock(directory: directory)
            } else {
                guard FileManager.default.fileExists(atPath: directory) else {
                    throw EventStoreError(.io, "data folder \(directory) does not exist")
                }
                lock = nil
            }
            var opened = try Self.openSegmentsSettled(directory: directory, options: options)
            if !options.readOnly {
                try Self.settleTail(directory: directory, opened: &opened, repairDamage: options.repairDamage)
                // From here on a crash may tear the tail again.
                try CleanShutdown.remove(directory: directory)
            }
            var report = opened.report
            let index = try Self.loadIndex(directory: directory, opened: opened, readOnly: options.readOnly, report: &report)
            recovery = report
            state = Mutex(State(segments: opened.segments, index: index, head: opened.head, headHash: opened.headHash))
            watcher = HeadWatcher(head: opened.head)
            if !options.readOnly {
                // The writer continues the last segment, or starts a new one after a sealed last segment.
                if opened.segments.last?.sealed ?? true {
                    let seg = try Self.createSegment(directory: directory, first: opened.head + 1)
                    opened.segments.append(seg)
                    state.withLock { $0.segments.append(seg) }
                }
                let active = opened.segments[opened.segments.count - 1]
                writer.active = try SegmentFile(path: active.file.path, writable: true)
                writer.writeOffset = active.dataEnd
                // (Spelled out: `active.sparse.last?.offset ?? 0` here crashed Swift 6.3.1's optimizer.)
                if let last = active.sparse.last { writer.lastSparseOffset = last.offset }
                writer.head = opened.head
                writer.hash = Digest32(opened.headHash)
                // Zeros an earlier run wrote ahead are still there (open keeps them).
                writer.zeroedEnd = try writer.active!.size
                zeroAhead()
                syncStage.start(name: "presidio-log-sync") { [self] in makeDurable($0) }
                queue.start(
                    name: "presidio-log-writer", isSolo: { !$0.verbatim.isEmpty || $0.redaction != nil }, group: { [self] in commit($0) },
                    solo: { [self] in $0.redaction != nil ? commitRedaction($0) : commitVerbatim($0) })
                // Every cut in the quarantine is recorded in the log (again: its id makes a
                // second append a no-op), before any caller can append or read.
                for repair in Quarantine.repairs(directory: directory) {
                    do {
                        _ = try appendWhileOpening([repair.event])
                    } catch let e as EventStoreError where e.code == .duplicateEventId {
                        // A description edited after it was recorded: the log's record stands.
                    }
                }
            }
        } catch {
            Parallel.release()
            throw error
        }
    }

    /// Stops the writer after the queued appends, saves the index and releases the folder.
    public func close() {
        let already = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        if already { return }
        if !options.readOnly {
            queue.stop()
            syncStage.stop()
            // Parts of segments sealed just before are saved before the folder is released.
            partWriter.sync {}
            let (failed, active, head, hash) = state.withLock { s in (s.failure != nil, s.segments.last, s.head, s.headHash) }
            if !failed, let active {
                // Tells the next open that no write was in progress (see `CleanShutdown`).
                try? CleanShutdown(segment: active.name, dataEnd: active.dataEnd, head: head, headHash: hash.hex).write(directory: directory)
            }
        }
        watcher.close()
        lock?.release()
        Parallel.release()
    }

    static func createSegment(directory: String, first: UInt64) throws -> SegmentInfo {
        let name = SegmentFormat.fileName(firstPosition: first)
        let path = directory + "/" + name
        let f = try SegmentFile(path: path, writable: true, create: true)
        try f.write(SegmentFormat.segmentHeader(firstPosition: first), at: 0)
        try f.sync()
        try SegmentFile.syncDirectory(directory)
        return SegmentInfo(
            name: name, file: try SegmentFile(path: path, writable: false), first: first, last: first - 1,
            dataEnd: UInt64(SegmentFormat.headerSize), sparse: [], sealed: false)
    }

    // MARK: Append

    public func append(_ batch: [ProposedEvent]) async throws -> AppendResult {
        if options.readOnly { throw EventStoreError(.readOnly, "the store was opened read-only") }
        if batch.isEmpty { return AppendResult(positions: [], appended: 0, head: watcher.head) }
        return try await inProgress {
            let (digests, keys) = try Self.validateAndDigest(batch, digest: queue.isIdle)
            return try await enqueue { c in AppendRequest(events: batch, digests: digests, keys: keys, reply: { c.resume(with: $0) }) }
        }
    }

    /// Appends events recorded elsewhere, byte for byte (positions, times, hashes): used by
    /// `log copy`. They must continue this log's head and its hash chain exactly.
    public func appendVerbatim(_ events: [RecordedEvent]) async throws {
        if options.readOnly { throw EventStoreError(.readOnly, "the store was opened read-only") }
        if events.isEmpty { return }
        _ = try await inProgress {
            try await enqueue { c in AppendRequest(events: [], digests: [], keys: nil, verbatim: events, reply: { c.resume(with: $0) }) }
        }
    }

    /// Runs one append call, counted in `appendsInProgress` from before its validation.
    private func inProgress<T>(_ body: () async throws -> T) async throws -> T {
        appendsInProgress.add(1, ordering: .relaxed)
        defer { appendsInProgress.subtract(1, ordering: .relaxed) }
        return try await body()
    }

    func enqueue(_ make: (CheckedContinuation<AppendResult, any Error>) -> AppendRequest) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { c in
            if !queue.submit(make(c)) { c.resume(throwing: EventStoreError(.closed, "the store is closing")) }
        }
    }

    /// Appends the log's own records (repairs found while opening) before `init` returns, so
    /// no caller can append or read ahead of them. Blocks the opening thread on the writer's
    /// and sync stage's own threads, never on the task pool.
    func appendWhileOpening(_ batch: [ProposedEvent]) throws -> AppendResult {
        let (digests, keys) = try Self.validateAndDigest(batch)
        /// Written by the sync thread before it signals, read here after the wait.
        final class Outcome: @unchecked Sendable {
            var result: Result<AppendResult, any Error>?
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        let request = AppendRequest(events: batch, digests: digests, keys: keys) { r in
            outcome.result = r
            outcome.done.signal()
        }
        guard queue.submit(request) else { throw EventStoreError(.closed, "the store is closing") }
        outcome.done.wait()
        return try outcome.result!.get()
    }

    /// Validates every event, hashes its payload and keeps its stream name as hashed bytes, in
    /// parallel chunks for large batches so a bulk import uses both cores while the writer
    /// thread only extends the chain.
    static func validateAndDigest(_ batch: [ProposedEvent], digest: Bool = true) throws -> ([Digest32], StreamKeys) {
        let keys = StreamKeys(batch)
        // One chunk per core once a batch is large enough to be worth a second thread.
        let width = Parallel.width
        let chunk = batch.count < Parallel.smallEvents ? batch.count : (batch.count + width - 1) / width
        let chunks = (batch.count + chunk - 1) / chunk
        let results = Parallel.map(chunks) { c -> Result<[Digest32], EventStoreError> in
            let range = c * chunk..<min(batch.count, (c + 1) * chunk)
            var out: [Digest32] = []
            out.reserveCapacity(range.count)
            for i in range {
                let streamProblem = NameTable.withBytes(batch[i].stream) { name in
                    keys.fill(i, name)
                    return StreamName.problem(bytes: name)
                }
                if let p = streamProblem.map({ "stream: " + $0 }) ?? RecordCodec.problemBesidesStream(with: batch[i]) {
                    return .failure(.invalidEvent(at: i, p, stream: batch[i].stream))
                }
            }
            if !digest { return .success([]) }
            // Payloads two at a time: the CPU overlaps two SHA-256 computations (benchmark notes: "hash pairs").
            var i = range.lowerBound
            while i + 1 < range.upperBound {
                let (a, b) = batch[i].payload.withUnsafeBytes { a in batch[i + 1].payload.withUnsafeBytes { b in FastSHA256.hashPair(a, b) } }
                out.append(a)
                out.append(b)
                i += 2
            }
            if i < range.upperBound { out.append(RecordCodec.payloadDigest(batch[i].payload)) }
            return .success(out)
        }
        var digests: [Digest32] = []
        digests.reserveCapacity(batch.count)
        for r in results { digests += try r.get() }
        return (digests, keys)
    }

    /// What the log holds about a group's ids and streams (written commits included), and the
    /// group's plan once made.
    struct LookedUp: Sendable {
        var knownPositions: [UInt64] = []
        var lookup = AppendPlanner.Lookup()
        /// Per group stream number: the index's number of that stream, nil if it is new.
        var indexStreams: [Int?] = []
        var plans: [Result<AppendPlanner.Planned, EventStoreError>]?
    }

    /// Each distinct stream of the group is numbered once here, from the appenders' hashed
    /// names; the planner and the index then use the numbers (`StreamNumbers`).
    /// `order` lists the group's events as (request, index), as the commit lays them out.
    private func lookUp(_ group: [AppendRequest], order: [(request: Int, index: Int)]) -> LookedUp {
        state.withLock { s in
            var out = LookedUp()
            out.lookup.eventStreams.reserveCapacity(group.count)
            out.lookup.streams.reserve(group.reduce(0) { $0 + $1.events.count })
            // Every id of the group in one pass, in slot order (see `IdTable.slotOrder`).
            for case let p? in s.index.positions(ofEventIds: order.count, id: { group[order[$0].request].events[order[$0].index].id }) {
                out.knownPositions.append(p)
            }
            for r in group {
                // Only verbatim copies come without keys, and they are committed alone.
                let keys = r.keys!
                let events = r.events
                var numbers: [Int32] = []
                numbers.reserveCapacity(events.count)
                for i in events.indices {
                    let key = keys.key(i)
                    let h = keys.hash(i)
                    let (g, isNew) = out.lookup.streams.insert(key, hash: h)
                    if isNew {
                        let k = s.index.streamId(key, hash: h)
                        out.indexStreams.append(k)
                        out.lookup.versions.append(k.map { s.index.version(ofStreamId: $0) })
                    }
                    numbers.append(Int32(g))
                }
                out.lookup.eventStreams.append(numbers)
            }
            return out
        }
    }

    /// Plans, writes and hands one group of requests to the sync stage.
    func commit(_ group: [AppendRequest]) {
        if let failure = state.withLock({ $0.failure }) {
            for r in group { r.resume(throwing: failure) }
            return
        }
        // A large group's records are laid out and written by a helper while this thread
        // looks the group up and plans it: nothing in a record but its position, version and
        // time depends on the plan (`CommitEncoder.Bodies`).
        let events = group.map(\.events)
        let total = events.reduce(0) { $0 + $1.count }
        let next = writer.head + 1
        let maxBlockBytes = options.maxBlockBytes
        let order = events.indices.flatMap { r in events[r].indices.map { (request: r, index: $0) } }
        let split = Parallel.map(total >= Parallel.smallRecords ? 2 : 1) { i -> (LookedUp?, CommitEncoder.Bodies?) in
            if i == 1 { return (nil, CommitEncoder.Bodies(events, order: order, maxBlockBytes: maxBlockBytes, lanes: 1)) }
            var looked = self.lookUp(group, order: order)
            if looked.knownPositions.isEmpty { looked.plans = AppendPlanner.plan(events, next: next, lookup: looked.lookup) }
            return (looked, nil)
        }
        var looked = split[0].0!
        let prepared = split.count > 1 ? split[1].1 : nil
        if looked.plans == nil {
            // Retries: read the originals, which must be durable to be read.
            syncStage.drain()
            var plannerLookup = looked.lookup
            if let recorded = try? readEvents(at: Array(Set(looked.knownPositions)).sorted()) {
                for e in recorded { plannerLookup.known[e.id] = e }
            }
            looked.plans = AppendPlanner.plan(events, next: next, lookup: plannerLookup)
        }
        let plans = looked.plans!
        let recordedAt = options.clock()
        var planned: [(request: AppendRequest, plan: AppendPlanner.Planned)] = []
        var records: [CommitEncoder.Record] = []
        records.reserveCapacity(events.reduce(0) { $0 + $1.count })
        for (r, (request, result)) in zip(group, plans).enumerated() {
            switch result {
            case .failure(let error):
                request.resume(throwing: error)
            case .success(let plan):
                planned.append((request, plan))
                for f in plan.fresh {
                    records.append(.init(request: r, index: f.index, position: f.position, version: f.version, recordedAt: recordedAt))
                }
            }
        }
        if records.isEmpty {
            // Only retries: they are durable already (drained above).
            let head = writer.head
            for p in planned {
                p.request.resume(returning: AppendResult(positions: p.plan.positions, appended: 0, head: head))
            }
            return
        }
        let acks: (UInt64) -> [(request: AppendRequest, result: AppendResult)] = { head in
            planned.map { ($0.request, AppendResult(positions: $0.plan.positions, appended: $0.plan.fresh.count, head: head)) }
        }
        let numbers = StreamNumbers(ofEvent: looked.lookup.eventStreams, inIndex: looked.indexStreams, keys: group.map { $0.keys! })
        if let failure = persist(
            records, events: events, digests: group.map(\.digests), streams: numbers, prepared: prepared, acks: acks)
        {
            for p in planned { p.request.resume(throwing: failure) }
        }
    }

    /// Writes records already positioned elsewhere (for `log copy`): they must continue this
    /// log's head, stream versions and hash chain exactly, or nothing is written.
    func commitVerbatim(_ request: AppendRequest) {
        syncStage.drain()
        let events = request.verbatim
        let (head, headHash, versions) = state.withLock { s in
            (s.head, s.headHash, Dictionary(events.map { ($0.stream, s.index.version(of: $0.stream)) }, uniquingKeysWith: { a, _ in a }))
        }
        var current = versions
        var hash = Digest32(headHash)
        var records: [CommitEncoder.Record] = []
        var proposed: [ProposedEvent] = []
        var digests: [Digest32] = []
        var chainedLengths: [Int: UInt32] = [:]
        for (k, e) in events.enumerated() {
            let (digest, length) = e.payload.withUnsafeBytes { Redaction.chained($0) }
            if length != UInt32(e.payload.count) { chainedLengths[k] = length }
            let expected = RecordCodec.chainHash(previous: hash, of: e)
            let problem: String? =
                if e.position != head + 1 + UInt64(k) {
                    "copy must continue at position \(head + 1 + UInt64(k)), got \(e.position)"
                } else if e.version != (current[e.stream]??.advanced(by: 1) ?? 0) {
                    "stream '\(e.stream)' continues at version \((current[e.stream]??.advanced(by: 1) ?? 0)), got \(e.version)"
                } else if expected != Digest32(e.hash) {
                    "copied event does not continue the hash chain"
                } else if let p = RecordCodec.problem(with: e.asProposed, tombstones: true) {
                    p
                } else {
                    nil
                }
            if let problem {
                request.resume(throwing: EventStoreError(.invalidArgument, problem, stream: e.stream, position: e.position))
                return
            }
            current[e.stream] = e.version
            hash = expected
            proposed.append(e.asProposed)
            digests.append(digest)
            records.append(.init(request: 0, index: k, position: e.position, version: e.version, recordedAt: e.recordedAt))
        }
        let positions = events.map(\.position)
        let failure = persist(records, events: [proposed], digests: [digests], streams: nil, chainedLengths: chainedLengths) { head in
            [(request, AppendResult(positions: positions, appended: positions.count, head: head))]
        }
        if let failure { request.resume(throwing: failure) }
    }

    /// Rewrites the sealed segment that holds a redacted record (`applyRedaction`), sealing
    /// the active segment first if it holds it, and swaps the segment in the table.
    func commitRedaction(_ request: AppendRequest) {
        guard let (position, payload) = request.redaction else { return }
        syncStage.drain()
        let inActive = state.withLock { s in s.segments.last.map { !$0.sealed && $0.first <= position && position <= $0.last } ?? false }
        if inActive { roll() }
        if let failure = state.withLock({ $0.failure }) { return request.resume(throwing: failure) }
        let found = state.withLock { s in
            s.segments.indices.first { s.segments[$0].sealed && s.segments[$0].first <= position && position <= s.segments[$0].last }
                .map { ($0, s.segments[$0]) }
        }
        guard let (k, segment) = found else {
            return request.resume(throwing: EventStoreError(.invalidArgument, "position: no event at \(position)"))
        }
        do {
            let rewritten = try Self.rewrite(segment, directory: directory, position: position, payload: payload)
            let head = state.withLock { s in
                s.segments[k] = rewritten
                return s.head
            }
            request.resume(returning: AppendResult(positions: [position], appended: 0, head: head))
        } catch {
            request.resume(throwing: error)
        }
    }

    /// The streams of a commit's events, numbered when the group was looked up.
    struct StreamNumbers: Sendable {
        /// `ofEvent[r][i]`: the group's number for the stream of event `i` of request `r`.
        var ofEvent: [[Int32]]
        /// Per group number: the index's number of that stream, nil if the stream is new.
        var inIndex: [Int?]
        var keys: [StreamKeys]
    }

    /// Encodes records as blocks and writes them with one `pwrite`, adds them to the index
    /// and hands them to the sync stage, which acknowledges them after `fdatasync`.
    /// Returns the failure if nothing was handed over.
    private func persist(
        _ records: [CommitEncoder.Record], events: [[ProposedEvent]], digests: [[Digest32]], streams: StreamNumbers?,
        prepared: CommitEncoder.Bodies? = nil, chainedLengths: [Int: UInt32] = [:],
        acks: (UInt64) -> [(request: AppendRequest, result: AppendResult)]
    ) -> EventStoreError? {
        if let failure = state.withLock({ $0.failure }) { return failure }
        // The index takes a large commit while the chain is computed, on the other core (a
        // small one is indexed right after, here: waking a helper would cost more). Readers
        // only see positions up to the durable head (see `SegmentStore+Read`), and a failed
        // write stops the store, so indexing before the write exposes nothing. Either way the
        // index holds the commit before its job is handed over, so an acknowledged event is
        // always found by stream and id. Streams are found by the numbers the lookup gave them
        // (`StreamNumbers`), never by hashing their names again.
        let newHead = records[records.count - 1].position
        let index: @Sendable () -> Void = { [self] in
            state.withLock { s in
                guard let streams else {
                    for r in records {
                        s.index.add(position: r.position, stream: events[r.request][r.index].stream, id: events[r.request][r.index].id)
                    }
                    return
                }
                s.index.setPositions(
                    ofEventIds: records.count, id: { events[records[$0].request][records[$0].index].id }, position: { records[$0].position })
                var inIndex = streams.inIndex
                for r in records {
                    let g = Int(streams.ofEvent[r.request][r.index])
                    let keys = streams.keys[r.request]
                    inIndex[g] = s.index.add(
                        position: r.position, streamId: inIndex[g], key: keys.key(r.index), hash: keys.hash(r.index),
                        id: events[r.request][r.index].id, indexId: false)
                }
            }
        }
        // A large commit with nothing behind it (one bulk appender waiting for each batch) is
        // synced on this thread and indexed on the helper meanwhile: the index then costs no
        // time before the write, and no sync-thread wake-up is added. Otherwise the index runs
        // alongside the chain, so the writer is free for the next group while the sync runs.
        // "Nothing behind it" counts appends still validating too: with 4 appenders in flight
        // the queue is often empty for a moment, and syncing here then cost the pipeline.
        let solo =
            records.count >= Parallel.smallRecords && appendsInProgress.load(ordering: .relaxed) <= events.count
            && syncStage.isIdle && !queue.hasPending
        let alongside = records.count >= Parallel.smallRecords && !solo
        let encoded = CommitEncoder.encode(
            records, events: events, digests: digests, previous: writer.hash, maxBlockBytes: options.maxBlockBytes,
            alongside: alongside ? index : nil, prepared: prepared, chainedLengths: chainedLengths)
        if !alongside && !solo { index() }
        var blockStarts: [BlockRef] = []
        var length = 0
        for k in 0..<encoded.blocks.count {
            blockStarts.append(BlockRef(firstPosition: encoded.firstPositions[k], offset: writer.writeOffset + UInt64(length)))
            length += encoded.blocks[k].count
        }
        guard let active = writer.active else { return EventStoreError(.closed, "no active segment") }
        let startOffset = writer.writeOffset
        do {
            // One pwrite per block, back to back: cheaper than copying them into one buffer.
            for k in 0..<encoded.blocks.count { try active.write(encoded.blocks[k], at: blockStarts[k].offset) }
        } catch {
            try? active.truncate(to: startOffset)
            let failure = EventStoreError(
                .io, "append failed and the store must be reopened: \((error as? EventStoreError)?.message ?? "\(error)")")
            state.withLock { $0.failure = failure }
            return failure
        }
        writer.writeOffset = startOffset + UInt64(length)
        var sparseAdds: [BlockRef] = []
        for b in blockStarts where writer.lastSparseOffset == 0 || b.offset >= writer.lastSparseOffset + SegmentFormat.sparseEvery {
            sparseAdds.append(b)
            writer.lastSparseOffset = b.offset
        }
        writer.head = newHead
        writer.hash = encoded.lastHash
        let job = SyncJob(
            file: active, endOffset: writer.writeOffset, head: newHead, hash: encoded.lastHash.data, sparse: sparseAdds,
            acks: acks(newHead))
        // A small commit with nothing behind it (a lone API append) is synced right here:
        // handing it to the sync thread would only add a thread wake-up to its latency.
        // Otherwise the sync thread takes it and the writer goes on with the next commit.
        let inline = records.count < Parallel.smallEvents && syncStage.isIdle && !queue.hasPending
        if solo {
            let synced = Parallel.map(2) { i -> Result<Void, any Error>? in
                if i == 1 {
                    index()
                    return nil
                }
                return Result { try active.sync() }
            }
            acknowledge([job], synced: synced[0]!)
        } else if inline || !syncStage.submit(job) {
            makeDurable([job])
        }
        if writer.writeOffset >= options.segmentSize {
            syncStage.drain()
            roll()
        } else {
            zeroAhead()
        }
        return nil
    }

    /// Keeps zeros written ahead of the write offset (`Options.preallocate`), on the writer
    /// thread, after the commit is handed over and only when no append waits: the writer is
    /// the only one writing this file, so the zeros never land on data, and their flush rides
    /// on the next commit's sync. Under a steady pipeline (appends always waiting) nothing is
    /// zeroed: there the syncs are shared by several commits, and the writer's time is what
    /// limits the rate (zeroing there cost more than it saved).
    /// The space ahead grows with the segment, so a small log stays small on disk. It is
    /// topped up 256 KiB at most at a time: the sync that flushes a top-up takes that much
    /// longer, and larger top-ups showed in the p99 of concurrent single-event appenders
    /// (benchmark notes: "top-up size").
    private func zeroAhead() {
        guard options.preallocate, let active = writer.active else { return }
        let used = writer.writeOffset
        let ahead = min(max(used, 1 << 20), 16 << 20)
        let step = min(ahead / 2, 256 << 10)
        let limit = max(options.segmentSize, used)
        guard writer.zeroedEnd < min(used + ahead - step, limit) else { return }
        // Asked only when zeros are due: it takes the queue's lock.
        if queue.hasPending { return }
        let from = max(writer.zeroedEnd, used)
        let to = min(used + ahead, limit)
        guard to > from else { return }
        do {
            try active.writeZeros(from: from, to: to)
            writer.zeroedEnd = to
        } catch {
            // Only an optimisation: without it commits still work (a full disk then fails
            // the next commit's own write, with its own error).
            writer.zeroedEnd = limit
        }
    }

    /// The sync stage: one `fdatasync` for every job taken, then the new head is published
    /// and the appends acknowledged. Nothing is acknowledged before its bytes are synced.
    private func makeDurable(_ jobs: [SyncJob]) {
        acknowledge(jobs, synced: Result { try jobs[jobs.count - 1].file.sync() })
    }

    /// After the `fdatasync` that covers `jobs`: publishes their head and acknowledges them,
    /// or fails them and the store if the sync failed.
    private func acknowledge(_ jobs: [SyncJob], synced: Result<Void, any Error>) {
        let last = jobs[jobs.count - 1]
        do {
            try synced.get()
        } catch {
            let failure = EventStoreError(
                .io, "fdatasync failed and the store must be reopened: \((error as? EventStoreError)?.message ?? "\(error)")")
            state.withLock { $0.failure = failure }
            for j in jobs { for a in j.acks { a.request.resume(throwing: failure) } }
            return
        }
        state.withLock { s in
            s.head = last.head
            s.headHash = last.hash
            let k = s.segments.count - 1
            s.segments[k].last = last.head
            s.segments[k].dataEnd = last.endOffset
            for j in jobs { s.segments[k].sparse += j.sparse }
        }
        watcher.publish(last.head)
        for j in jobs { for a in j.acks { a.request.resume(returning: a.result) } }
    }

    /// Seals the active segment (footer + sync) and starts the next one.
    private func roll() {
        guard let active = writer.active else { return }
        do {
            let footer: SegmentFormat.Footer = state.withLock { s in
                let seg = s.segments[s.segments.count - 1]
                return SegmentFormat.Footer(first: seg.first, last: seg.last, lastHash: s.headHash, sparse: seg.sparse)
            }
            let encodedFooter = SegmentFormat.encodeFooter(footer)
            try active.write(encodedFooter, at: writer.writeOffset)
            // The footer is found from the end of the file: the zeros written ahead go.
            try active.truncate(to: writer.writeOffset + UInt64(encodedFooter.count))
            try active.sync()
            let next = try Self.createSegment(directory: directory, first: footer.last + 1)
            state.withLock { s in
                s.segments[s.segments.count - 1].sealed = true
                s.segments.append(next)
            }
            writer.active = try SegmentFile(path: next.file.path, writable: true)
            writer.writeOffset = UInt64(SegmentFormat.headerSize)
            writer.lastSparseOffset = 0
            writer.zeroedEnd = writer.writeOffset
            zeroAhead()
            // The sealed segment's index part: taken here (the index holds exactly its events,
            // the writer having waited for the sync thread), written and synced off the writer.
            // If the process dies first, the next open replays the segment and saves it then.
            let part = state.withLock { $0.index.takePart(first: footer.first) }
            // (A part that does not cover the segment exactly is not saved: open rebuilds it.)
            if part.count == Int(footer.last - footer.first + 1) {
                let directory = directory
                partWriter.async { try? part.save(directory: directory) }
            }
        } catch {
            let failure = EventStoreError(.io, "sealing a segment failed and the store must be reopened: \(error)")
            state.withLock { $0.failure = failure }
        }
    }
}
