import Foundation

/// Reads consecutive blocks of one segment through a window buffer, so a sequential scan
/// costs one `pread` per megabyte rather than two per block.
struct BlockCursor {
    struct Block {
        var offset: UInt64
        var header: SegmentFormat.BlockHeader
        var raw: [UInt8]
    }
    struct Failure: Error {
        var offset: UInt64
        var problem: SegmentFormat.BlockProblem
    }

    let file: SegmentFile
    private(set) var offset: UInt64
    let end: UInt64
    private var window: [UInt8] = []
    private var windowStart: UInt64 = 0
    static let windowSize = 1 << 20

    init(file: SegmentFile, from offset: UInt64, end: UInt64) {
        self.file = file
        self.offset = offset
        self.end = end
    }

    /// Makes sure `[at, at+count)` is in the window; false if the file is shorter.
    private mutating func ensure(_ at: UInt64, _ count: Int) throws -> Bool {
        if at >= windowStart, at + UInt64(count) <= windowStart + UInt64(window.count) { return true }
        let want = max(count, Self.windowSize)
        let available = end > at ? Int(min(UInt64(want), end - at)) : 0
        window = try file.read(at: at, count: available)
        windowStart = at
        return window.count >= count
    }

    /// Brings the next block's whole frame into the window: its offset, header and start
    /// within the window, nil at `end`, or a failure naming the offset.
    private mutating func nextFrame() throws -> Result<(at: UInt64, header: SegmentFormat.BlockHeader, local: Int), Failure>? {
        guard offset < end else { return nil }
        let at = offset
        guard try ensure(at, SegmentFormat.blockHeaderSize) else { return .failure(Failure(offset: at, problem: .truncated)) }
        let local = Int(at - windowStart)
        let header = window.withUnsafeBytes { p in
            SegmentFormat.parseBlockHeader(UnsafeRawBufferPointer(rebasing: p[local..<local + SegmentFormat.blockHeaderSize]))
        }
        guard let h = header else { return .failure(Failure(offset: at, problem: .badMagic)) }
        guard Int(h.storedLength) <= SegmentFormat.maxBlockStored, Int(h.rawLength) <= 2 * SegmentFormat.maxBlockStored,
            at + h.frameLength <= end
        else {
            return .failure(Failure(offset: at, problem: .truncated))
        }
        guard try ensure(at, Int(h.frameLength)) else { return .failure(Failure(offset: at, problem: .truncated)) }
        return .success((at, h, Int(at - windowStart)))
    }

    /// The next block, nil at `end`, or a failure naming the offset where bytes stop making sense.
    mutating func next() throws -> Result<Block, Failure>? {
        guard let frame = try nextFrame() else { return nil }
        let (at, h, l2): (UInt64, SegmentFormat.BlockHeader, Int)
        switch frame {
        case .failure(let f): return .failure(f)
        case .success(let v): (at, h, l2) = v
        }
        let opened = window.withUnsafeBytes { p in
            SegmentFormat.openBlock(UnsafeRawBufferPointer(rebasing: p[l2..<l2 + Int(h.frameLength)]), header: h)
        }
        switch opened {
        case .success(let raw):
            offset = at + h.frameLength
            return .success(Block(offset: at, header: h, raw: raw))
        case .failure(let p):
            return .failure(Failure(offset: at, problem: p))
        }
    }

    /// Like `next`, but hands the block's raw bytes to `body` from a buffer the cursor reuses
    /// (the audit's path: no allocation per block).
    mutating func nextInPlace<T>(
        scratch: inout UnsafeMutableRawBufferPointer, _ body: (UInt64, SegmentFormat.BlockHeader, UnsafeRawBufferPointer) -> T
    ) throws -> Result<T, Failure>? {
        guard let frame = try nextFrame() else { return nil }
        let (at, h, l2): (UInt64, SegmentFormat.BlockHeader, Int)
        switch frame {
        case .failure(let f): return .failure(f)
        case .success(let v): (at, h, l2) = v
        }
        if scratch.count < Int(h.rawLength) {
            scratch.deallocate()
            scratch = .allocate(byteCount: max(Int(h.rawLength), 256 << 10), alignment: 16)
        }
        let out = scratch
        let problem = window.withUnsafeBytes { p in
            SegmentFormat.openBlock(UnsafeRawBufferPointer(rebasing: p[l2..<l2 + Int(h.frameLength)]), header: h, into: out)
        }
        if let problem { return .failure(Failure(offset: at, problem: problem)) }
        offset = at + h.frameLength
        return .success(body(at, h, UnsafeRawBufferPointer(rebasing: out[0..<Int(h.rawLength)])))
    }

    /// Whether any valid block starts after `offset` (used to tell a torn tail from corruption).
    static func hasValidBlock(in file: SegmentFile, after offset: UInt64, end: UInt64) throws -> Bool {
        guard end > offset + 1 else { return false }
        let bytes = try file.read(at: offset + 1, count: Int(end - offset - 1))
        let magic = SegmentFormat.blockMagicBytes
        var i = 0
        while i + SegmentFormat.blockOverhead <= bytes.count {
            if bytes[i] == magic[0], bytes[i + 1] == magic[1], bytes[i + 2] == magic[2], bytes[i + 3] == magic[3] {
                let ok = bytes.withUnsafeBytes { p -> Bool in
                    let rest = UnsafeRawBufferPointer(rebasing: p[i...])
                    guard let h = SegmentFormat.parseBlockHeader(rest), Int(h.frameLength) <= rest.count else { return false }
                    if case .success = SegmentFormat.openBlock(UnsafeRawBufferPointer(rebasing: rest[0..<Int(h.frameLength)]), header: h) {
                        return true
                    }
                    return false
                }
                if ok { return true }
            }
            i += 1
        }
        return false
    }
}
