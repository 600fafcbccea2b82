import Foundation
import Synchronization

extension SegmentStore {
    /// Reads every segment from its first byte: block CRCs, record CRCs, positions, stream
    /// versions, the hash chain, and each sealed footer's last position and hash.
    /// Runs on its own thread so a long audit never pins the cooperative pool.
    public func verify() async throws -> VerifyReport {
        let (segments, head) = state.withLock { ($0.segments, $0.head) }
        var report = try await runOffPool { try Self.verify(segments: segments, head: head) }
        // What a read-only open found past the last commit (a writable open has settled it).
        if report.intact, let tail = recovery.tail {
            report.intact = false
            report.tail = tail
            report.firstBadPosition = tail.lastKeptPosition + 1
            report.problem = tail.description
            report.segment = tail.segment
            report.offset = tail.offset
        }
        return report
    }

    static func verify(segments: [SegmentInfo], head: UInt64) throws -> VerifyReport {
        var chain = RawChainVerifier()
        func bad(_ problem: String, position: UInt64, segment: String, offset: UInt64?) -> VerifyReport {
            VerifyReport(
                intact: false, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex,
                firstBadPosition: position, problem: problem, segment: segment, offset: offset)
        }
        var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { scratch.deallocate() }
        for seg in segments {
            var cursor = BlockCursor(file: seg.file, from: UInt64(SegmentFormat.headerSize), end: seg.dataEnd)
            while let step = try cursor.nextInPlace(
                scratch: &scratch,
                { offset, header, raw -> (UInt64, String)? in
                    if header.firstPosition != chain.lastPosition + 1 {
                        return (offset, "block starts at position \(header.firstPosition), expected \(chain.lastPosition + 1)")
                    }
                    return chain.check(block: raw, count: Int(header.count)).map { (offset, $0) }
                })
            {
                switch step {
                case .failure(let f):
                    return bad("\(f.problem)", position: chain.lastPosition + 1, segment: seg.name, offset: f.offset)
                case .success(let problem):
                    if let (offset, problem) = problem {
                        return bad(problem, position: chain.lastPosition + 1, segment: seg.name, offset: offset)
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
            return bad(
                "log ends at \(chain.lastPosition), head is \(head)", position: chain.lastPosition + 1, segment: segments.last?.name ?? "-",
                offset: nil)
        }
        var report = VerifyReport(intact: true, eventsChecked: chain.checked, headPosition: head, headHash: chain.previousHash.hex)
        chain.redactions.finish(&report)
        return report
    }
}

/// Verifies framed records straight from a block's raw bytes: the canonical header is hashed
/// as stored, so nothing is decoded into Swift values except the stream name (for the
/// stream-version check). This is the audit's hot loop.
struct RawChainVerifier {
    private var hash = Digest32()
    var lastPosition: UInt64 = 0
    var checked: UInt64 = 0
    /// Stream name bytes → stream number → last version seen; no `String` per record.
    private var streams = NameTable()
    private var versions: [UInt64] = []
    private let hasher = ChainHasher()
    private(set) var redactions = RedactionLedger()

    var previousHash: Data { hash.data }

    /// One record's parts inside a block, parsed but not yet checked.
    private struct Parsed {
        var position, version: UInt64
        /// The stream name, the canonical header, the payload and the stored hash.
        var stream, header, payload, stored: UnsafeRawBufferPointer
    }

    /// Parses the framed record at `r` (checking its CRC); why it cannot be, or the parts.
    private static func parse(_ r: inout ByteReader) -> Result<Parsed, Problem> {
        guard let length = r.u32(), let body = r.bytes(Int(length)), let crc = r.u32(), let suffix = r.u32(),
            suffix == length
        else { return .failure(Problem("record framing is damaged")) }
        guard CRC32C.checksum(body) == crc else { return .failure(Problem("record CRC32C mismatch")) }
        var b = ByteReader(body)
        guard b.u8() == RecordCodec.formatVersion, let position = b.u64(), let version = b.u64(),
            b.bytes(16 + 8) != nil, let streamLength = b.u16(), let streamBytes = b.bytes(Int(streamLength)),
            let typeLength = b.u16(), b.bytes(Int(typeLength)) != nil, b.u32() != nil, let actorLength = b.u16(),
            b.bytes(Int(actorLength)) != nil, let flags = b.u8(),
            b.bytes((flags & 1 != 0 ? 16 : 0) + (flags & 2 != 0 ? 16 : 0)) != nil, let metaLength = b.u32(),
            b.bytes(Int(metaLength)) != nil, let payloadLength = b.u32()
        else { return .failure(Problem("record header does not parse")) }
        let headerEnd = b.offset
        guard let payload = b.bytes(Int(payloadLength)), let stored = b.bytes(32), b.remaining == 0 else {
            return .failure(Problem("record body does not parse"))
        }
        return .success(
            Parsed(
                position: position, version: version, stream: streamBytes,
                header: UnsafeRawBufferPointer(rebasing: body[0..<headerEnd]), payload: payload, stored: stored))
    }

    private struct Problem: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// Checks every record of a block; returns why the first bad one is bad (its position is
    /// `lastPosition + 1`), or nil. Record n+1 is parsed before record n is chained, so its
    /// payload digest is computed alongside hash(n) (`ChainHasher`); a record that does not
    /// parse is still reported only after every record before it checked out.
    mutating func check(block p: UnsafeRawBufferPointer, count: Int) -> String? {
        var r = ByteReader(p)
        var seen = 0
        guard r.remaining > 0 else { return count == 0 ? nil : "block holds 0 records, its header says \(count)" }
        var current: Parsed
        switch Self.parse(&r) {
        case .failure(let problem): return problem.text
        case .success(let first): current = first
        }
        var digest = RecordCodec.payloadDigest(current.payload)
        while true {
            var next: Result<Parsed, Problem>?
            if r.remaining > 0 { next = Self.parse(&r) }
            let nextPayload: UnsafeRawBufferPointer? = if case .success(let n) = next { n.payload } else { nil }
            guard current.position == lastPosition + 1 else {
                return "expected position \(lastPosition + 1), found \(current.position) (gap or reorder)"
            }
            let (k, isNew) = streams.insert(current.stream)
            let expectedVersion = isNew ? 0 : versions[k] + 1
            guard current.version == expectedVersion else {
                let stream = String(decoding: current.stream, as: UTF8.self)
                return "stream '\(stream)' version \(current.version), expected \(expectedVersion)"
            }
            let (recomputed, nextDigest): (Digest32, Digest32?)
            if Redaction.looksRedacted(current.payload) {
                // Hashed as the tombstone says the original was (`Redaction.chained`).
                let (original, length) = Redaction.chained(current.payload)
                var header = Array(current.header)
                RecordCodec.setPayloadLength(&header, length)
                recomputed = header.withUnsafeBytes { RecordCodec.chainHash(previous: hash, header: $0, payloadDigest: original) }
                nextDigest = nextPayload.map { RecordCodec.payloadDigest($0) }
            } else {
                (recomputed, nextDigest) = hasher.step(previous: hash, header: current.header, payloadDigest: digest, next: nextPayload)
            }
            redactions.note(position: current.position, stream: current.stream, payload: current.payload)
            guard recomputed == Digest32(current.stored) else {
                return "hash chain break: stored \(Data(current.stored).hex.prefix(16))…, recomputed \(recomputed.data.hex.prefix(16))…"
            }
            if isNew { versions.append(current.version) } else { versions[k] = current.version }
            hash = recomputed
            lastPosition = current.position
            checked += 1
            seen += 1
            switch next {
            case nil: return seen == count ? nil : "block holds \(seen) records, its header says \(count)"
            case .failure(let problem)?: return problem.text
            case .success(let n)?:
                current = n
                digest = nextDigest!
            }
        }
    }
}

/// Runs blocking work on a fresh thread and resumes the caller when it is done.
package func runOffPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        let t = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        t.stackSize = 8 << 20
        t.start()
    }
}
