import Crypto
import Dispatch
import Foundation
import Synchronization

/// Turns one commit's records into finished blocks, keeping on the writer's sequential path
/// only what is sequential by nature: the hash chain.
///
/// 1. Sizes: every record's framed size is known up front, so records are assigned to blocks
///    and to byte offsets before anything is written.
/// 2. Encode, on both cores: headers and payloads are written into their places.
/// 3. Chain, one core: hash(n) = SHA-256(hash(n-1) ‖ header(n) ‖ SHA-256(payload(n))) over
///    the headers already in place.
/// 4. Seal, on both cores: record CRCs, LZ4 and the block header and CRC, per block.
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
        var blocks: [[UInt8]]
        var firstPositions: [UInt64]
        var lastHash: Digest32
    }

    /// `digests[r][i]` is SHA-256 of the payload of `events[r][i]`.
    ///
    /// `alongside` runs on another core while the chain is computed (the store indexes the
    /// commit there): the chain is the one step that cannot use both cores.
    static func encode(
        _ records: [Record], events: [[ProposedEvent]], digests: [[Digest32]], previous: Digest32, maxBlockBytes: Int,
        alongside: (@Sendable () -> Void)? = nil
    ) -> Output {
        let n = records.count
        precondition(n > 0)
        // 1. Sizes and layout.
        var bodyStart = [Int](repeating: 0, count: n)  // offset of the header within its block
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
            // Borrowed in place, never copied: a copy of an event is five reference counts
            // up and down, which showed in profiles.
            let header = RecordCodec.headerSize(events[records[i].request][records[i].index])
            recordBlock[i] = blockSizes.count - 1
            bodyStart[i] = offset + 4
            headerLength[i] = header
            offset += 4 + header + events[records[i].request][records[i].index].payload.count + 32 + 8
        }
        blockSizes[blockSizes.count - 1] = offset
        let blockCount = blockSizes.count
        let buffers = blockSizes.map { UnsafeMutableRawBufferPointer.allocate(byteCount: $0, alignment: 16) }
        defer { for b in buffers { b.deallocate() } }
        let shared = UncheckedSendable((buffers, bodyStart, headerLength, recordBlock))

        // 2. Encode on both cores: records split in two halves by count.
        let lanes = n >= Parallel.smallRecords ? 2 : 1
        let encodeLane: @Sendable (Int) -> Void = { lane in
            let (buffers, bodyStart, headerLength, recordBlock) = shared.value
            let lo = n * lane / lanes
            let hi = n * (lane + 1) / lanes
            for i in lo..<hi {
                let r = records[i]
                let base = buffers[recordBlock[i]].baseAddress!
                var w = RawSink(base: base, offset: bodyStart[i])
                RecordCodec.writeHeader(
                    &w, position: r.position, version: r.version, event: events[r.request][r.index], recordedAt: r.recordedAt)
                precondition(w.offset - bodyStart[i] == headerLength[i], "header size mismatch")
                w.raw(events[r.request][r.index].payload)
                let bodyLength = UInt32(w.offset - bodyStart[i] + 32)
                base.storeBytes(of: bodyLength.bigEndian, toByteOffset: bodyStart[i] - 4, as: UInt32.self)
                // Hash (step 3) and CRC (step 4) are filled in later.
                base.storeBytes(of: bodyLength.bigEndian, toByteOffset: w.offset + 32 + 4, as: UInt32.self)
            }
        }
        Parallel.perform(lanes, encodeLane)

        // 3 and 4. The chain, in order, over the headers in place; each block is sealed (record
        // CRCs, LZ4, framing) as soon as the chain has passed its last record. With a helper
        // (`alongside` given) the helper first runs `alongside`, then seals chained blocks while
        // the chain goes on; the chain's thread seals whatever is left once it is done.
        let firstRecords = blockFirstRecord
        let progress = SealProgress(blocks: blockCount)
        let sealedBlocks = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: blockCount)
        sealedBlocks.initialize(repeating: [])
        defer {
            sealedBlocks.deinitialize()
            sealedBlocks.deallocate()
        }
        let slots = UncheckedSendable(sealedBlocks)
        let seal: @Sendable (Int) -> Void = { b in
            let (buffers, _, _, _) = shared.value
            RecordCodec.fillCRCs(buffers[b])
            let first = firstRecords[b]
            let count = (b + 1 < blockCount ? firstRecords[b + 1] : n) - first
            slots.value[b] = SegmentFormat.encodeBlock(
                raw: UnsafeRawBufferPointer(buffers[b]), count: count, firstPosition: records[first].position,
                commitEnd: b == blockCount - 1)
        }
        let chain: @Sendable () -> Digest32 = {
            let (buffers, bodyStart, headerLength, recordBlock) = shared.value
            var hash = previous
            for i in 0..<n {
                let block = recordBlock[i]
                let base = buffers[block].baseAddress!
                let h = headerLength[i]
                hash = RecordCodec.chainHash(
                    previous: hash, header: UnsafeRawBufferPointer(start: base + bodyStart[i], count: h),
                    payloadDigest: digests[records[i].request][records[i].index])
                let payloadLength = Int(
                    UInt32(bigEndian: base.loadUnaligned(fromByteOffset: bodyStart[i] + h - 4, as: UInt32.self)))
                (base + bodyStart[i] + h + payloadLength).storeBytes(of: hash, as: Digest32.self)
                if i + 1 == n || recordBlock[i + 1] != block { progress.chained(through: block) }
            }
            return hash
        }
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
        let sealed = Array(sealedBlocks)
        return Output(blocks: sealed, firstPositions: blockFirstRecord.map { records[$0].position }, lastHash: hash)
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
