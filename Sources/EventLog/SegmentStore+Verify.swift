import Foundation
import Synchronization

extension SegmentStore {
    /// Reads every segment from its first byte: block CRCs, record CRCs, positions, stream
    /// versions, the hash chain, and each sealed footer's last position and hash.
    /// Runs on its own thread so a long audit never pins the cooperative pool.
    public func verify() async throws -> VerifyReport {
        let (segments, head) = state.withLock { ($0.segments, $0.head) }
        return try await runOffPool { try Self.verify(segments: segments, head: head) }
    }

    static func verify(segments: [SegmentInfo], head: UInt64) throws -> VerifyReport {
        var chain = ChainVerifier()
        func bad(_ problem: String, position: UInt64, segment: String, offset: UInt64?) -> VerifyReport {
            VerifyReport(
                intact: false, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex,
                firstBadPosition: position, problem: problem, segment: segment, offset: offset)
        }
        for seg in segments {
            var cursor = BlockCursor(file: seg.file, from: UInt64(SegmentFormat.headerSize), end: seg.dataEnd)
            while let step = try cursor.next() {
                switch step {
                case .failure(let f):
                    return bad("\(f.problem)", position: chain.lastPosition + 1, segment: seg.name, offset: f.offset)
                case .success(let block):
                    let records: [RecordedEvent]
                    switch SegmentFormat.decodeRecords(block.raw, header: block.header) {
                    case .success(let r): records = r
                    case .failure(let p):
                        return bad("\(p)", position: chain.lastPosition + 1, segment: seg.name, offset: block.offset)
                    }
                    for e in records {
                        if let (_, problem) = chain.check(e) {
                            return bad(problem, position: e.position, segment: seg.name, offset: block.offset)
                        }
                    }
                }
            }
            if chain.lastPosition != seg.last && seg.last >= seg.first {
                return bad("segment should end at position \(seg.last)", position: chain.lastPosition + 1, segment: seg.name, offset: nil)
            }
            if seg.sealed, let (footer, _) = try SegmentFormat.readFooter(seg.file), seg.last >= seg.first, footer.lastHash != chain.previousHash {
                return bad("footer hash differs from the chain", position: seg.last, segment: seg.name, offset: nil)
            }
        }
        if chain.lastPosition != head {
            return bad("log ends at \(chain.lastPosition), head is \(head)", position: chain.lastPosition + 1, segment: segments.last?.name ?? "-", offset: nil)
        }
        return VerifyReport(intact: true, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex)
    }
}

/// Runs blocking work on a fresh thread and resumes the caller when it is done.
public func runOffPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        let t = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        t.stackSize = 8 << 20
        t.start()
    }
}
