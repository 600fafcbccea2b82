#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension SegmentStore {
    /// Replaces one payload by its tombstone, on the writer (appends wait meanwhile): a record
    /// of the active segment has its segment sealed first, so only sealed segments are ever
    /// rewritten, whole, into a new file that is synced and renamed over the old one. Readers
    /// that copied the segment table before keep reading the old file to its end.
    public func applyRedaction(position: UInt64, payload: Data) async throws {
        if options.readOnly { throw EventStoreError(.readOnly, "the store was opened read-only") }
        guard let current = try await read(from: position, limit: 1).first else {
            throw EventStoreError(.invalidArgument, "position: no event at \(position)")
        }
        if let problem = try await redactionProblem(position: position, current: current, payload: payload) {
            throw EventStoreError(.invalidArgument, "cannot redact position \(position): \(problem)", position: position)
        }
        _ = try await enqueue { c in
            AppendRequest(events: [], digests: [], keys: nil, redaction: (position, payload), reply: { c.resume(with: $0) })
        }
    }

    /// The segment holding `position` with that record's payload replaced: every other byte
    /// of its blocks is kept, the block holding it is re-encoded, and the footer's sparse
    /// offsets after it move by the difference. The footer's last hash stays: the chain
    /// hashes the tombstone's original digest and length.
    static func rewrite(_ seg: SegmentInfo, directory: String, position: UInt64, payload: Data) throws -> SegmentInfo {
        guard seg.sealed, let (footer, footerOffset) = try SegmentFormat.readFooter(seg.file) else {
            throw EventStoreError(.corruption, "segment \(seg.name) has no valid footer; run presidio audit verify")
        }
        let bytes = try seg.file.read(at: 0, count: Int(footerOffset))
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + payload.count + 4096)
        out += bytes[0..<SegmentFormat.headerSize]
        var offset = SegmentFormat.headerSize
        var changed: (offset: UInt64, delta: Int64)?
        while offset < bytes.count {
            let header = bytes.withUnsafeBytes { p in
                SegmentFormat.parseBlockHeader(UnsafeRawBufferPointer(rebasing: p[offset..<min(p.count, offset + SegmentFormat.blockHeaderSize)]))
            }
            guard let h = header, offset + Int(h.frameLength) <= bytes.count else {
                throw EventStoreError(.corruption, "segment \(seg.name): no valid block at offset \(offset); run presidio audit verify")
            }
            let end = offset + Int(h.frameLength)
            if changed == nil, h.firstPosition <= position, position <= h.lastPosition {
                let opened = bytes.withUnsafeBytes { p in SegmentFormat.openBlock(UnsafeRawBufferPointer(rebasing: p[offset..<end]), header: h) }
                guard case .success(let raw) = opened else {
                    throw EventStoreError(.corruption, "segment \(seg.name): the block at offset \(offset) does not check out")
                }
                let frame = SegmentFormat.encodeBlock(
                    raw: try replacing(position: position, payload: payload, in: raw), count: Int(h.count), firstPosition: h.firstPosition,
                    commitEnd: h.flags & SegmentFormat.flagCommitEnd != 0)
                out += frame
                changed = (UInt64(offset), Int64(frame.count) - Int64(h.frameLength))
            } else {
                out += bytes[offset..<end]
            }
            offset = end
        }
        guard let changed else { throw EventStoreError(.invalidArgument, "position: \(position) is not in segment \(seg.name)") }
        let sparse = footer.sparse.map { b in
            b.offset > changed.offset ? BlockRef(firstPosition: b.firstPosition, offset: UInt64(Int64(b.offset) + changed.delta)) : b
        }
        out += SegmentFormat.encodeFooter(SegmentFormat.Footer(first: footer.first, last: footer.last, lastHash: footer.lastHash, sparse: sparse))
        let path = directory + "/" + seg.name
        let temporary = path + ".redacting"
        unlink(temporary)
        let file = try SegmentFile(path: temporary, writable: true, create: true)
        try file.write(out, at: 0)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw SegmentFile.error("rename", temporary) }
        try SegmentFile.syncDirectory(directory)
        var info = seg
        info.file = try SegmentFile(path: path, writable: false)
        info.sparse = sparse
        info.dataEnd = UInt64(Int64(seg.dataEnd) + changed.delta)
        return info
    }

    /// A block's raw records with the one at `position` framed anew around `payload` (its
    /// header then states the new length; its stored hash stays).
    private static func replacing(position: UInt64, payload: Data, in raw: [UInt8]) throws -> [UInt8] {
        try raw.withUnsafeBytes { p -> [UInt8] in
            var r = ByteReader(p)
            var w = ByteWriter(capacity: raw.count + payload.count)
            while r.remaining > 0 {
                let start = r.offset
                guard case .success(let e) = RecordCodec.decodeFramed(&r) else {
                    throw EventStoreError(.corruption, "a record before position \(position) does not decode")
                }
                guard e.position == position else {
                    w.raw(UnsafeRawBufferPointer(rebasing: p[start..<r.offset]))
                    continue
                }
                let was = e.payload.withUnsafeBytes { Redaction.chained($0) }
                let now = payload.withUnsafeBytes { Redaction.chained($0) }
                guard was.digest == now.digest, was.length == now.length else {
                    throw EventStoreError(.invalidArgument, "the tombstone does not keep the payload's SHA-256 and length", position: position)
                }
                var redacted = e
                redacted.payload = payload
                var body = ByteWriter(capacity: 256 + payload.count)
                body.raw(RecordCodec.header(of: redacted))
                body.raw(payload)
                body.raw(e.hash)
                w.u32(UInt32(body.bytes.count))
                w.raw(body.bytes)
                w.u32(body.bytes.withUnsafeBytes { CRC32C.checksum($0) })
                w.u32(UInt32(body.bytes.count))
            }
            return w.bytes
        }
    }
}
