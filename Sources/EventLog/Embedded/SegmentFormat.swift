import Foundation

/// Byte layout of segment files. Documented in `events/README.md` ("Segment files").
///
/// ```
/// segment = header | block* | footer?          (footer only once sealed)
/// header  = "PSEG" | u32 format(=1) | u64 firstPosition
/// block   = "PBLK" | u8 flags | u32 count | u64 firstPosition | u32 storedLength | u32 rawLength
///           | u32 crc32c(the 25 bytes before it ‖ stored) | stored | u32 frameLength
///           flags: bit0 stored is LZ4 (else raw), bit1 last block of a commit
///           raw = framed record*  (see RecordCodec)
/// footer  = "PFTR" | u64 first | u64 last | 32 lastHash | u32 n | (u64 blockFirstPosition, u64 offset)*n
///           | u32 crc32c(from "PFTR" to here) | u32 footerLength | "PEND"
/// ```
enum SegmentFormat {
    static let segmentMagic: UInt32 = 0x5053_4547  // PSEG
    static let blockMagic: UInt32 = 0x5042_4C4B  // PBLK
    /// `blockMagic` as it stands in a file (big-endian), for scanning raw bytes.
    static let blockMagicBytes: [UInt8] = [0x50, 0x42, 0x4C, 0x4B]
    static let footerMagic: UInt32 = 0x5046_5452  // PFTR
    static let endMagic: UInt32 = 0x5045_4E44  // PEND
    static let headerSize = 16
    static let blockHeaderSize = 29  // including the CRC
    static let blockOverhead = 33  // header + suffix
    static let flagCompressed: UInt8 = 1
    static let flagCommitEnd: UInt8 = 2
    /// One sparse index entry at least every this many bytes of segment.
    static let sparseEvery: UInt64 = 64 << 10
    static let maxBlockStored = 64 << 20

    static func fileName(firstPosition: UInt64) -> String { "segment-" + padded(firstPosition) + ".log" }

    /// A position as 20 digits, so file names sort as their positions do.
    static func padded(_ position: UInt64) -> String {
        let digits = String(position)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func firstPosition(fromFileName name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        return UInt64(name.dropFirst(8).dropLast(4))
    }

    static func segmentHeader(firstPosition: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.u32(segmentMagic)
        w.u32(1)
        w.u64(firstPosition)
        return w.bytes
    }

    struct BlockHeader: Sendable {
        var flags: UInt8
        var count: UInt32
        var firstPosition: UInt64
        var storedLength: UInt32
        var rawLength: UInt32
        var crc: UInt32
        var frameLength: UInt64 { UInt64(SegmentFormat.blockOverhead) + UInt64(storedLength) }
        var lastPosition: UInt64 { firstPosition + UInt64(count) - 1 }
    }

    /// Encodes one block around `raw` (the concatenated framed records).
    static func encodeBlock(raw: [UInt8], count: Int, firstPosition: UInt64, commitEnd: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: frameCapacity(rawCount: raw.count)) { out, length in
            length = raw.withUnsafeBytes {
                encodeBlock(raw: $0, count: count, firstPosition: firstPosition, commitEnd: commitEnd, into: UnsafeMutableRawBufferPointer(out))
            }
        }
    }

    /// Bytes `encodeBlock(…, into:)` may need for `rawCount` raw bytes.
    static func frameCapacity(rawCount: Int) -> Int { blockOverhead + max(LZ4.compressBound(rawCount), rawCount) }

    /// Writes the frame of one block into `frame` (at least `frameCapacity` bytes) and returns
    /// its length. LZ4 writes straight after the header's place, so the stored bytes are never
    /// copied.
    static func encodeBlock(
        raw: UnsafeRawBufferPointer, count: Int, firstPosition: UInt64, commitEnd: Bool, into frame: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(frame.count >= frameCapacity(rawCount: raw.count))
        let storedArea = UnsafeMutableRawBufferPointer(rebasing: frame[blockHeaderSize...])
        let compressedCount = LZ4.compress(raw, into: storedArea)
        let compressed = compressedCount != nil
        if !compressed, raw.count > 0 { storedArea.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        let storedCount = compressedCount ?? raw.count
        var w = RawSink(base: frame.baseAddress!, offset: 0)
        w.u32(blockMagic)
        w.u8((compressed ? flagCompressed : 0) | (commitEnd ? flagCommitEnd : 0))
        w.u32(UInt32(count))
        w.u64(firstPosition)
        w.u32(UInt32(storedCount))
        w.u32(UInt32(raw.count))
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[0..<25]))
        crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[blockHeaderSize..<blockHeaderSize + storedCount]), seed: crc)
        w.u32(crc)
        w.offset = blockHeaderSize + storedCount
        w.u32(UInt32(blockOverhead + storedCount))
        return w.offset
    }

    /// Parses a block header (without checking the CRC); nil if the magic is wrong or bytes are short.
    static func parseBlockHeader(_ p: UnsafeRawBufferPointer) -> BlockHeader? {
        var r = ByteReader(p)
        guard r.u32() == blockMagic, let flags = r.u8(), let count = r.u32(), let first = r.u64(),
            let stored = r.u32(), let raw = r.u32(), let crc = r.u32()
        else { return nil }
        return BlockHeader(flags: flags, count: count, firstPosition: first, storedLength: stored, rawLength: raw, crc: crc)
    }

    enum BlockProblem: Error, CustomStringConvertible {
        case badMagic, truncated, crcMismatch, suffixMismatch, badCompression, badRecord(String), countMismatch
        var description: String {
            switch self {
            case .badMagic: "no block magic"
            case .truncated: "block extends past the end of the file"
            case .crcMismatch: "block CRC32C mismatch"
            case .suffixMismatch: "block length suffix mismatch"
            case .badCompression: "LZ4 data does not decompress to its stated length"
            case .badRecord(let s): "record: \(s)"
            case .countMismatch: "block record count differs from its records"
            }
        }
    }

    /// Checks a whole frame (header, CRC, suffix) held in `frame` and returns its raw payload.
    /// Checks a block frame's CRC and length suffix and returns its stored bytes.
    static func checkFrame(_ frame: UnsafeRawBufferPointer, header h: BlockHeader) -> Result<UnsafeRawBufferPointer, BlockProblem> {
        let storedStart = blockHeaderSize
        let storedEnd = storedStart + Int(h.storedLength)
        guard frame.count >= storedEnd + 4 else { return .failure(.truncated) }
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: frame[0..<25]))
        let stored = UnsafeRawBufferPointer(rebasing: frame[storedStart..<storedEnd])
        crc = CRC32C.checksum(stored, seed: crc)
        guard crc == h.crc else { return .failure(.crcMismatch) }
        var r = ByteReader(frame, offset: storedEnd)
        guard r.u32().map(UInt64.init) == h.frameLength else { return .failure(.suffixMismatch) }
        return .success(stored)
    }

    static func openBlock(_ frame: UnsafeRawBufferPointer, header h: BlockHeader) -> Result<[UInt8], BlockProblem> {
        var problem: BlockProblem?
        let raw = [UInt8](unsafeUninitializedCapacity: Int(h.rawLength)) { dst, count in
            problem = openBlock(frame, header: h, into: UnsafeMutableRawBufferPointer(dst))
            count = problem == nil ? Int(h.rawLength) : 0
        }
        return problem.map { .failure($0) } ?? .success(raw)
    }

    /// Checks a block frame and writes its raw bytes (`h.rawLength`, decompressed if need be)
    /// into `output`, which must be at least that long; the problem, or nil.
    static func openBlock(_ frame: UnsafeRawBufferPointer, header h: BlockHeader, into output: UnsafeMutableRawBufferPointer) -> BlockProblem? {
        let stored: UnsafeRawBufferPointer
        switch checkFrame(frame, header: h) {
        case .failure(let p): return p
        case .success(let s): stored = s
        }
        if h.flags & flagCompressed != 0 {
            return LZ4.decompress(stored, into: output, originalLength: Int(h.rawLength)) ? nil : .badCompression
        }
        guard h.rawLength == h.storedLength, stored.count <= output.count else { return .badCompression }
        if stored.count > 0 { output.baseAddress!.copyMemory(from: stored.baseAddress!, byteCount: stored.count) }
        return nil
    }

    /// Decodes the records of a block's raw bytes, checking each record's CRC and that
    /// positions run from the block's first position.
    ///
    /// Readers pass `checkRecordCRCs: false`: the block's CRC, already checked, covers the same
    /// bytes. Recovery and audits check both.
    static func decodeRecords(_ raw: [UInt8], header h: BlockHeader, checkRecordCRCs: Bool = true) -> Result<[RecordedEvent], BlockProblem> {
        raw.withUnsafeBytes { p in
            var r = ByteReader(p)
            var out: [RecordedEvent] = []
            out.reserveCapacity(Int(h.count))
            while r.remaining > 0 {
                switch RecordCodec.decodeFramed(&r, checkCRC: checkRecordCRCs) {
                case .success(let e):
                    guard e.position == h.firstPosition + UInt64(out.count) else {
                        return .failure(.badRecord("position \(e.position) out of sequence"))
                    }
                    out.append(e)
                case .failure(.crc): return .failure(.badRecord("CRC32C mismatch at position \(h.firstPosition + UInt64(out.count))"))
                case .failure(.framing(let s)), .failure(.body(let s)):
                    return .failure(.badRecord("\(s) at position \(h.firstPosition + UInt64(out.count))"))
                }
            }
            guard out.count == Int(h.count) else { return .failure(.countMismatch) }
            return .success(out)
        }
    }

    struct Footer: Sendable {
        var first: UInt64
        var last: UInt64
        var lastHash: Data
        var sparse: [BlockRef]
    }

    static func encodeFooter(_ f: Footer) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + f.sparse.count * 16)
        w.u32(footerMagic)
        w.u64(f.first)
        w.u64(f.last)
        w.raw(f.lastHash)
        w.u32(UInt32(f.sparse.count))
        for e in f.sparse {
            w.u64(e.firstPosition)
            w.u64(e.offset)
        }
        w.u32(CRC32C.checksum(w.bytes))
        w.u32(UInt32(w.bytes.count + 8))
        w.u32(endMagic)
        return w.bytes
    }

    /// Reads the footer of a sealed segment; nil when the file has no valid footer.
    static func readFooter(_ file: SegmentFile) throws -> (Footer, footerOffset: UInt64)? {
        let size = try file.size
        guard size >= UInt64(headerSize + 8) else { return nil }
        let tail = try file.read(at: size - 8, count: 8)
        let (length, magic): (UInt32, UInt32) = tail.withUnsafeBytes { p in
            var r = ByteReader(p)
            return (r.u32() ?? 0, r.u32() ?? 0)
        }
        guard magic == endMagic, length >= 68, UInt64(length) <= size - UInt64(headerSize) else { return nil }
        let start = size - UInt64(length)
        let bytes = try file.read(at: start, count: Int(length))
        return bytes.withUnsafeBytes { p -> (Footer, UInt64)? in
            var r = ByteReader(p)
            guard r.u32() == footerMagic, let first = r.u64(), let last = r.u64(), let hash = r.data(32),
                let n = r.u32(), Int(n) * 16 + 68 == Int(length)
            else { return nil }
            var sparse: [BlockRef] = []
            sparse.reserveCapacity(Int(n))
            for _ in 0..<n {
                guard let pos = r.u64(), let off = r.u64() else { return nil }
                sparse.append(BlockRef(firstPosition: pos, offset: off))
            }
            let crcEnd = r.offset
            guard let crc = r.u32(), CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[0..<crcEnd])) == crc else {
                return nil
            }
            return (Footer(first: first, last: last, lastHash: hash, sparse: sparse), start)
        }
    }
}

/// Where a block starts: the sparse index entry of a segment.
struct BlockRef: Sendable, Hashable {
    var firstPosition: UInt64
    var offset: UInt64
}
