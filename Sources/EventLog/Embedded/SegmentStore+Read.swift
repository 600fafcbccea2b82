import Foundation
import Synchronization

extension SegmentStore {
    /// Index of the segment holding `position` and the offset of the sparse-index block to scan from.
    static func locate(_ position: UInt64, in segments: [SegmentInfo]) -> (segment: Int, offset: UInt64)? {
        var lo = 0
        var hi = segments.count - 1
        var found = -1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if segments[mid].first <= position {
                found = mid
                lo = mid + 1
            } else {
                hi = mid - 1
            }
        }
        guard found >= 0, position <= segments[found].last else { return nil }
        let sparse = segments[found].sparse
        var l = 0
        var h = sparse.count - 1
        var offset = UInt64(SegmentFormat.headerSize)
        while l <= h {
            let mid = (l + h) / 2
            if sparse[mid].firstPosition <= position {
                offset = sparse[mid].offset
                l = mid + 1
            } else {
                h = mid - 1
            }
        }
        return (found, offset)
    }

    static func corruption(_ f: BlockCursor.Failure, segment: SegmentInfo) -> EventStoreError {
        EventStoreError(.corruption, "\(f.problem)", segment: segment.name, offset: f.offset)
    }

    /// Events from `from` (inclusive) in position order, at most `limit`, never past `head`.
    static func readSequential(segments: [SegmentInfo], head: UInt64, from: UInt64, limit: Int) throws -> [RecordedEvent] {
        guard limit > 0, from <= head, var (k, offset) = locate(max(from, 1), in: segments) else { return [] }
        var out: [RecordedEvent] = []
        out.reserveCapacity(min(limit, Int(head - from + 1)))
        while k < segments.count, out.count < limit {
            let seg = segments[k]
            var cursor = BlockCursor(file: seg.file, from: offset, end: seg.dataEnd)
            while out.count < limit, let step = try cursor.next() {
                let block: BlockCursor.Block
                switch step {
                case .success(let b): block = b
                case .failure(let f): throw corruption(f, segment: seg)
                }
                if block.header.lastPosition < from { continue }
                let records: [RecordedEvent]
                switch SegmentFormat.decodeRecords(block.raw, header: block.header, checkRecordCRCs: false) {
                case .success(let r): records = r
                case .failure(let p):
                    throw EventStoreError(.corruption, "\(p)", segment: seg.name, offset: block.offset)
                }
                for e in records where e.position >= from && e.position <= head {
                    out.append(e)
                    if out.count == limit { break }
                }
                if block.header.lastPosition >= head { return out }
            }
            k += 1
            offset = UInt64(SegmentFormat.headerSize)
        }
        return out
    }

    /// The events at the given positions (ascending), decoding each needed block once.
    func readEvents(at positions: [UInt64]) throws -> [RecordedEvent] {
        guard !positions.isEmpty else { return [] }
        let segments = state.withLock { $0.segments }
        var out: [RecordedEvent] = []
        out.reserveCapacity(positions.count)
        var current: [RecordedEvent] = []
        var cursor: BlockCursor?
        var cursorSegment = -1
        for p in positions {
            if let f = current.first, p >= f.position, p <= current[current.count - 1].position {
                out.append(current[Int(p - f.position)])
                continue
            }
            guard let (k, offset) = Self.locate(p, in: segments) else {
                throw EventStoreError(.invalidArgument, "position \(p) is not in the log", position: p)
            }
            if cursorSegment != k || cursor == nil || (current.last.map { $0.position > p } ?? true) || offset > cursor!.offset {
                cursor = BlockCursor(file: segments[k].file, from: offset, end: segments[k].dataEnd)
                cursorSegment = k
            }
            while true {
                guard let step = try cursor!.next() else {
                    throw EventStoreError(.corruption, "position \(p) missing from its segment", position: p, segment: segments[k].name)
                }
                switch step {
                case .failure(let f): throw Self.corruption(f, segment: segments[k])
                case .success(let block):
                    guard block.header.lastPosition >= p else { continue }
                    switch SegmentFormat.decodeRecords(block.raw, header: block.header, checkRecordCRCs: false) {
                    case .success(let r): current = r
                    case .failure(let prob):
                        throw EventStoreError(.corruption, "\(prob)", segment: segments[k].name, offset: block.offset)
                    }
                }
                break
            }
            guard let f = current.first, p >= f.position else {
                throw EventStoreError(.corruption, "position \(p) missing from its block", position: p, segment: segments[k].name)
            }
            out.append(current[Int(p - f.position)])
        }
        return out
    }

    public func read(from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        let (segments, head) = state.withLock { ($0.segments, $0.head) }
        return try Self.readSequential(segments: segments, head: head, from: max(position, 1), limit: limit)
    }

    public func readStream(_ stream: String, from version: UInt64, limit: Int) async throws -> [RecordedEvent] {
        let positions: [UInt64] = state.withLock { s in
            guard let all = s.index.positions(ofStream: stream), version < UInt64(all.count), limit > 0 else { return [] }
            let start = Int(version)
            // Positions past the durable head are being synced: not visible yet.
            return Array(all[start..<min(all.count, start + limit)].prefix { $0 <= s.head })
        }
        return try readEvents(at: positions)
    }

    public func readCategory(_ category: String, from position: UInt64, limit: Int) async throws -> [RecordedEvent] {
        let positions: [UInt64] = state.withLock { s in
            guard let all = s.index.positions(ofCategory: category), limit > 0 else { return [] }
            // Binary search for the first position ≥ `position`.
            var lo = 0
            var hi = all.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if all[mid] < position { lo = mid + 1 } else { hi = mid }
            }
            return Array(all[lo..<min(all.count, lo + limit)].prefix { $0 <= s.head })
        }
        return try readEvents(at: positions)
    }

    public func headPosition() async throws -> UInt64 { state.withLock { $0.head } }

    public func streamVersion(_ stream: String) async throws -> UInt64? { state.withLock { $0.index.version(of: stream, upTo: $0.head) } }

    public func position(ofEventId id: UUID) async throws -> UInt64? {
        state.withLock { s in s.index.position(ofEventId: id).flatMap { $0 <= s.head ? $0 : nil } }
    }

    public func waitForAppend(after position: UInt64) async throws { try await watcher.wait(after: position) }

    public func stats() async throws -> StoreStats {
        let s = state.withLock { s in
            (s.head, s.headHash, s.index.streamCount, s.index.categoryCount, s.segments)
        }
        var bytes: UInt64 = 0
        // The active segment counts up to its data: the zeros written ahead are not the log's.
        for seg in s.4 { bytes += seg.sealed ? ((try? seg.file.size) ?? 0) : seg.dataEnd }
        return StoreStats(
            head: s.0, headHash: s.1.hex, events: s.0, streams: UInt64(s.2), categories: UInt64(s.3), bytes: bytes,
            segments: s.4.count, backend: "embedded")
    }
}
