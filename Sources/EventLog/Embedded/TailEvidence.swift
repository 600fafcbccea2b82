import Foundation

/// What an open found after the last complete commit of the active segment (or missing from
/// it), and whether the evidence shows a write cut short by a crash.
///
/// The rule (`events/README.md`, "Torn tails"), after etcd's WAL (only an unexpected end of
/// file is repaired), RocksDB's `kTolerateCorruptedTailRecords` and PostgreSQL's end-of-WAL: a
/// torn write leaves *missing* bytes — the file ends inside the frame, or sectors of it are
/// still zero — and only after a crash. Everything else (a complete frame whose CRC fails,
/// bytes that are not a block, any damage after a clean shutdown, acknowledged positions gone)
/// is damage: a writable open refuses it and names `presidio log repair`.
public struct TailFinding: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A commit cut short by a crash: never acknowledged, safe to quarantine.
        case tornWrite
        /// Anything else: only `presidio log repair` cuts it, and records what was lost.
        case damage
    }
    public var kind: Kind
    public var segment: String
    /// First byte not part of a complete commit.
    public var offset: UInt64
    /// Non-zero bytes from `offset` on (zeros written ahead are not counted).
    public var bytes: UInt64
    /// The last position of the last complete commit.
    public var lastKeptPosition: UInt64
    /// Positions a clean shutdown recorded that the log no longer holds.
    public var missingPositions: UInt64 = 0
    public var reason: String
    /// Valid blocks follow the damage: it is inside the log, not at its end.
    public var validBlocksFollow = false

    /// One line for operators and auditors.
    public var description: String {
        let what = kind == .tornWrite ? "torn tail" : validBlocksFollow ? "damage inside the log" : "damaged tail"
        return "\(what) in \(segment) at offset \(offset) after position \(lastKeptPosition): \(reason)"
    }
}

enum TailEvidence {
    /// Sector size assumed for torn writes: the smallest unit a disk writes whole.
    static let sector: UInt64 = 512
    /// A zero run shorter than this inside a frame is not taken as an unwritten sector (the high
    /// bytes of a length are zero by nature).
    static let minimumHole: UInt64 = 8

    /// Classifies the bad frame at `bad` (the first frame after `committedEnd` that does not
    /// check out), given `tailEnd`, the end of the non-zero bytes, and the file's size.
    static func classify(
        _ file: SegmentFile, bad: UInt64, problem: SegmentFormat.BlockProblem, tailEnd: UInt64, size: UInt64
    ) throws -> (TailFinding.Kind, String) {
        if bad >= tailEnd { return (.tornWrite, "a commit whose last block was never written") }
        let headerBytes = try file.read(at: bad, count: Int(min(tailEnd - bad, UInt64(SegmentFormat.blockHeaderSize))))
        if headerBytes.allSatisfy({ $0 == 0 }) {
            return (.tornWrite, "the header of block at offset \(bad) was never written (zeros)")
        }
        guard headerBytes.count == SegmentFormat.blockHeaderSize,
            let h = headerBytes.withUnsafeBytes({ SegmentFormat.parseBlockHeader($0) })
        else {
            let magic = SegmentFormat.blockMagicBytes
            if headerBytes.count < SegmentFormat.blockHeaderSize && magic.prefix(headerBytes.count).elementsEqual(headerBytes.prefix(4)) {
                return (.tornWrite, "the file ends inside the header of block at offset \(bad)")
            }
            return (.damage, "bytes at offset \(bad) after the last commit are not a block (\(problem))")
        }
        guard Int(h.storedLength) <= SegmentFormat.maxBlockStored, Int(h.rawLength) <= 2 * SegmentFormat.maxBlockStored else {
            return (.damage, "block header at offset \(bad) states impossible lengths")
        }
        let frameEnd = bad + h.frameLength
        if frameEnd > tailEnd {
            // A length made larger by damage, over a frame that is all there: its own length
            // suffix ends where the written bytes do.
            for end in tailEnd..<min(tailEnd + 4, size + 1) where end >= bad + 4 + UInt64(SegmentFormat.blockHeaderSize) {
                let suffix = try file.read(at: end - 4, count: 4)
                let value = suffix.withUnsafeBytes { p -> UInt64 in
                    var r = ByteReader(p)
                    return UInt64(r.u32() ?? 0)
                }
                if value == end - bad {
                    return (.damage, "complete block at offset \(bad) (\(value) bytes) with a damaged header")
                }
            }
            return (.tornWrite, "block at offset \(bad) ends past the last written byte (\(frameEnd - tailEnd) bytes never written)")
        }
        // The whole frame is there: a torn write shows as a sector of it that is still zero.
        let frame = try file.read(at: bad, count: Int(h.frameLength))
        var sectorStart = bad - bad % sector
        while sectorStart < frameEnd {
            let lo = max(sectorStart, bad)
            let hi = min(sectorStart + sector, frameEnd)
            if hi - lo >= minimumHole, frame[Int(lo - bad)..<Int(hi - bad)].allSatisfy({ $0 == 0 }) {
                return (.tornWrite, "block at offset \(bad): bytes \(lo)..<\(hi) were never written (zeros)")
            }
            sectorStart += sector
        }
        return (.damage, "complete block at offset \(bad) fails its check (\(problem)): not a torn write")
    }
}

/// Written when a writable store closes cleanly, removed when one opens: its presence tells an
/// open that no write was in progress, so any damage at the tail is damage, and any position it
/// names that the log no longer holds was acknowledged and is missing.
struct CleanShutdown: Codable, Sendable, Hashable {
    var segment: String
    var dataEnd: UInt64
    var head: UInt64
    var headHash: String

    static let fileName = "clean-shutdown.json"

    static func read(directory: String) -> CleanShutdown? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(CleanShutdown.self, from: data)
    }

    func write(directory: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try SegmentFile.writeAtomically([UInt8](try enc.encode(self)), to: directory + "/" + Self.fileName)
    }

    /// Before the first append: from here on a crash may tear the tail again.
    static func remove(directory: String) throws {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard unlink(path) == 0 else { throw SegmentFile.error("unlink", path) }
        try SegmentFile.syncDirectory(directory)
    }
}
