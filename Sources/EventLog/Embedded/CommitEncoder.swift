import Crypto
import Dispatch
import Foundation
import Synchronization

/// Turns one commit's records into finished blocks, keeping on the writer's sequential path
/// only what is sequential by nature: the hash chain.
///
/// 1. Bodies (`Bodies`): every record's framed size is known up front, so records are
///    assigned to blocks and byte offsets, then headers and payloads are written into their
///    places, with position, stream version and recorded-at left zero. Nothing here depends
///    on planning, so for a large group the writer has a helper do it while it plans.
/// 2. Chain, one core: each header gets its position, version and time, then
///    hash(n) = SHA-256(hash(n-1) ‖ header(n) ‖ SHA-256(payload(n))) over it in place.
/// 3. Seal: record CRCs, LZ4, the block header and CRC, per block, as soon as the chain has
///    passed the block, on whichever core is free.
struct CommitEncoder {
    /// One record to encode.
    struct Record {
        /// Where the event and its payload digest are: `events[request][index]`.
        var request: Int
        var index: Int
        var position: UInt64
        var version: UInt64
        var recordedAt: Int64
    }

    /// Finished blocks in order, the first position of each, and the last record's hash.
    struct Output {
        var blocks: Frames
        var firstPositions: [UInt64]
        var lastHash: Digest32
    }

    /// The framed blocks of a commit, in pooled buffers given back when this goes away.
    final class Frames: @unchecked Sendable {
        // @unchecked: each frame is written by one sealing piece, then only read.
        private let storage: [UnsafeMutableRawBufferPointer]
        fileprivate var lengths: [Int]

        init(capacities: [Int]) {
            storage = capacities.map { BufferPool.shared.take($0) }
            lengths = Array(repeating: 0, count: capacities.count)
        }

        deinit { for b in storage { BufferPool.shared.give(b) } }

        var count: Int { storage.count }

        fileprivate func buffer(_ k: Int) -> UnsafeMutableRawBufferPointer { storage[k] }

        /// The bytes of frame `k`.
        subscript(k: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[k][0..<lengths[k]]) }
    }

    /// Records laid out in blocks and written except for the three fields planning decides.
    final class Bodies: @unchecked Sendable {
        // @unchecked: written by disjoint pieces (lanes, then one record or block each) that
        // `Parallel.perform` and `SealProgress` order; read-only in between.
        /// Which event each record is, in log order.
        let order: [(request: Int, index: Int)]
        /// Offset of each record's header within its block, its length, and its block.
        let bodyStart: [Int]
        let headerLength: [Int]
        let recordBlock: [Int]
        let blockFirstRecord: [Int]
        let buffers: [UnsafeMutableRawBufferPointer]
        private let storage: [UnsafeMutableRawBufferPointer]

        var count: Int { order.count }

        /// Lays out `order` and writes the records, on `lanes` cores.
        init(_ events: [[ProposedEvent]], order: [(request: Int, index: Int)], maxBlockBytes: Int, lanes: Int) {
            let n = order.count
            var bodyStart = [Int](repeating: 0, count: n)
            var headerLength = [Int](repeating: 0, count: n)
            var recordBlock = [Int](repeating: 0, count: n)
            var blockSizes: [Int] = []
            var blockFirstRecord: [Int] = []
            var offset = 0
            for i in 0..<n {
                if blockSizes.isEmpty || (offset >= maxBlockBytes) {
                    if !blockSizes.isEmpty { blockSizes[blockSizes.count - 1] = offset }
                    blockSizes.append(0)
                    blockFirstRecord.append(i)
                    offset = 0
                }
                // Borrowed in place, never copied: a copy of an event is five reference
                // counts up and down, which showed in profiles.
                let header = RecordCodec.headerSize(events[order[i].request][order[i].index])
                recordBlock[i] = blockSizes.count - 1
                bodyStart[i] = offset + 4
                headerLength[i] = header
                offset += RecordCodec.framedSize(header: header, payload: events[order[i].request][order[i].index].payload.count)
            }
            if !blockSizes.isEmpty { blockSizes[blockSizes.count - 1] = offset }
            self.order = order
            self.bodyStart = bodyStart
            self.headerLength = headerLength
            self.recordBlock = recordBlock
            self.blockFirstRecord = blockFirstRecord
            storage = blockSizes.map { BufferPool.shared.take($0) }
            buffers = zip(storage, blockSizes).map { UnsafeMutableRawBufferPointer(rebasing: $0[0..<$1]) }
            Parallel.perform(lanes) { lane in self.write(events, from: n * lane / lanes, to: n * (lane + 1) / lanes) }
        }

        deinit { for b in storage { BufferPool.shared.give(b) } }

        private func write(_ events: [[ProposedEvent]], from lo: Int, to hi: Int) {
            for i in lo..<hi {
                let (r, k) = order[i]
                let base = buffers[recordBlock[i]].baseAddress!
                var w = RawSink(base: base, offset: bodyStart[i])
                // `events[r][k]` is borrowed, not copied into a local: a copy is five
                // reference counts up and down per record.
                RecordCodec.writeHeader(&w, position: 0, version: 0, event: events[r][k], recordedAt: 0)
                precondition(w.offset - bodyStart[i] == headerLength[i], "header size mismatch")
                w.raw(events[r][k].payload)
                let bodyLength = UInt32(w.offset - bodyStart[i] + 32)
                base.storeBytes(of: bodyLength.bigEndian, toByteOffset: bodyStart[i] - 4, as: UInt32.self)
                // Hash (chain) and CRC (seal) are filled in later.
                base.storeBytes(of: bodyLength.bigEndian, toByteOffset: w.offset + 32 + 4, as: UInt32.self)
            }
        }
    }

    /// `digests[r][i]` is SHA-256 of the payload of `events[r][i]`, or `digests[r]` is empty and
    /// the chain computes them, each alongside the hash before it. `prepared` is used when it
    /// holds exactly these records (a group planned without retries or failures).
    ///
    /// `alongside` runs on another core while the chain is computed (the store indexes the
    /// commit there): the chain is the one step that cannot use both cores.
    static func encode(
        _ records: [Record], events: [[ProposedEvent]], digests: [[Digest32]], previous: Digest32, maxBlockBytes: Int,
        alongside: (@Sendable () -> Void)? = nil, prepared: Bodies? = nil, chainedLengths: [Int: UInt32] = [:]
    ) -> Output {
        let n = records.count
        precondition(n > 0)
        let bodies =
            if let prepared, prepared.count == n, zip(prepared.order, records).allSatisfy({ $0.0 == ($0.1.request, $0.1.index) }) {
                prepared
            } else {
                Bodies(
                    events, order: records.map { ($0.request, $0.index) }, maxBlockBytes: maxBlockBytes,
                    lanes: n >= Parallel.smallRecords ? 2 : 1)
            }
        let blockCount = bodies.buffers.count
        let progress = SealProgress(blocks: blockCount)
        let frames = Frames(capacities: bodies.buffers.map { SegmentFormat.frameCapacity(rawCount: $0.count) })
        let lengths = UnsafeMutableBufferPointer<Int>.allocate(capacity: blockCount)
        defer { lengths.deallocate() }
        let slots = UncheckedSendable(lengths)
        let seal: @Sendable (Int) -> Void = { b in
            RecordCodec.fillCRCs(bodies.buffers[b])
            let first = bodies.blockFirstRecord[b]
            let count = (b + 1 < blockCount ? bodies.blockFirstRecord[b + 1] : n) - first
            slots.value[b] = SegmentFormat.encodeBlock(
                raw: UnsafeRawBufferPointer(bodies.buffers[b]), count: count, firstPosition: records[first].position,
                commitEnd: b == blockCount - 1, into: frames.buffer(b))
        }
        let chain: @Sendable () -> Digest32 = {
            let hasher = ChainHasher()
            func header(_ i: Int) -> UnsafeMutableRawPointer { bodies.buffers[bodies.recordBlock[i]].baseAddress! + bodies.bodyStart[i] }
            func payload(_ i: Int) -> UnsafeRawBufferPointer {
                let h = bodies.headerLength[i]
                let length = Int(UInt32(bigEndian: header(i).loadUnaligned(fromByteOffset: h - 4, as: UInt32.self)))
                return UnsafeRawBufferPointer(start: header(i) + h, count: length)
            }
            func given(_ i: Int) -> Digest32? {
                let d = digests[records[i].request]
                return d.isEmpty ? nil : d[records[i].index]
            }
            var hash = previous
            // The digest of record i when the step before computed it alongside its hash.
            var carried: Digest32?
            for i in 0..<n {
                let r = records[i]
                let block = bodies.recordBlock[i]
                let p = header(i)
                let h = bodies.headerLength[i]
                p.storeBytes(of: r.position.bigEndian, toByteOffset: RecordCodec.positionOffset, as: UInt64.self)
                p.storeBytes(of: r.version.bigEndian, toByteOffset: RecordCodec.versionOffset, as: UInt64.self)
                p.storeBytes(of: r.recordedAt.bigEndian, toByteOffset: RecordCodec.recordedAtOffset, as: Int64.self)
                let body = payload(i)
                // A redacted record copied verbatim: the chain hashes the original length
                // (`Redaction`), the file keeps the tombstone's.
                let original = chainedLengths.isEmpty ? nil : chainedLengths[i]
                if let original { p.storeBytes(of: original.bigEndian, toByteOffset: h - 4, as: UInt32.self) }
                defer { if original != nil { p.storeBytes(of: UInt32(body.count).bigEndian, toByteOffset: h - 4, as: UInt32.self) } }
                let step = hasher.step(
                    previous: hash, header: UnsafeRawBufferPointer(start: p, count: h),
                    payloadDigest: given(i) ?? carried ?? FastSHA256.hash(body),
                    next: i + 1 < n && given(i + 1) == nil ? payload(i + 1) : nil)
                hash = step.hash
                carried = step.nextDigest
                (p + h + body.count).storeBytes(of: hash, as: Digest32.self)
                if i + 1 == n || bodies.recordBlock[i + 1] != block { progress.chained(through: block) }
            }
            return hash
        }
        // The chain's thread seals what is left once the chain is done; a helper (with
        // `alongside` first) seals blocks the chain has passed meanwhile.
        let hash: Digest32
        if n >= Parallel.smallRecords || alongside != nil {
            hash = Parallel.map(2) { i -> Digest32? in
                if i == 0 {
                    let h = chain()
                    while let b = progress.claim() { seal(b) }
                    return h
                }
                alongside?()
                while let b = progress.claim() {
                    progress.waitChained(b)
                    seal(b)
                }
                return nil
            }[0]!
        } else {
            hash = chain()
            for b in 0..<blockCount { seal(b) }
        }
        frames.lengths = Array(lengths)
        return Output(
            blocks: frames, firstPositions: bodies.blockFirstRecord.map { records[$0].position }, lastHash: hash)
    }
}

/// Which blocks of a commit the chain has passed and which are claimed for sealing: the two
/// threads of `CommitEncoder.encode` share it without a lock.
final class SealProgress: Sendable {
    private let blocks: Int
    private let chainedCount = Atomic<Int>(0)
    private let nextClaim = Atomic<Int>(0)

    init(blocks: Int) { self.blocks = blocks }

    func chained(through block: Int) { chainedCount.store(block + 1, ordering: .releasing) }

    /// The next block nobody seals yet, or nil.
    func claim() -> Int? {
        let b = nextClaim.add(1, ordering: .relaxed).oldValue
        return b < blocks ? b : nil
    }

    /// Spins until the chain has passed `block`: it is at most one block's chaining away
    /// (tens of microseconds), less than a sleep and wake-up would cost.
    func waitChained(_ block: Int) {
        var spins = 0
        while chainedCount.load(ordering: .acquiring) <= block {
            spins += 1
            if spins & 1023 == 0 { sched_yield() }
        }
    }
}
