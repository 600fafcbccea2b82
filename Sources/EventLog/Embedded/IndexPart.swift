import Foundation

/// The index entries of one sealed segment, saved beside it as `index-<first>.part`.
///
/// The index used to be saved whole (`index.snapshot`) every 4 sealed segments and on close.
/// Its size grows with the log, so the total work was quadratic, and the writer did it
/// in line, so a large log would have stopped appends for seconds at every save
/// (benchmark notes: "index parts").
/// A part holds one segment's events only, so saving costs the same at every seal, and the
/// file is written off the writer. On open, parts are applied in order and only segments
/// without a valid part (and the active one) are replayed from the log; a part is derived
/// data, so a missing, damaged or mismatched one is rebuilt, never trusted.
///
/// `"PIDP" | u32 1 | u64 first | u64 count | u32 names | names (u16 length + UTF-8) |
///  count × u32 name number | count × 16-byte event id | u32 CRC-32C of all before`
struct IndexPart: Sendable, Equatable {
    static let magic: UInt32 = 0x5049_4450  // PIDP
    /// Position of the first event (the segment's first).
    var first: UInt64
    /// The segment's distinct stream names, in order of first appearance.
    var names: [String]
    /// Per event, in position order: its stream's number in `names`, and its id.
    var streams: [UInt32]
    var ids: [UUID]

    var count: Int { ids.count }

    static func fileName(first: UInt64) -> String { "index-" + SegmentFormat.padded(first) + ".part" }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + names.count * 24 + count * 20)
        w.u32(Self.magic)
        w.u32(1)
        w.u64(first)
        w.u64(UInt64(count))
        w.u32(UInt32(names.count))
        for n in names { w.string16(n) }
        for s in streams { w.u32(s) }
        for id in ids { w.uuid(id) }
        w.u32(w.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return w.bytes
    }

    /// The part in `bytes` if it is intact and covers exactly `first`…`last`; nil otherwise.
    static func decode(_ bytes: [UInt8], first: UInt64, last: UInt64) -> IndexPart? {
        guard bytes.count >= 4, last >= first else { return nil }
        return bytes.withUnsafeBytes { p -> IndexPart? in
            let body = UnsafeRawBufferPointer(rebasing: p[..<(p.count - 4)])
            let crc = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: p.count - 4, as: UInt32.self))
            guard CRC32C.checksum(body) == crc else { return nil }
            var r = ByteReader(body)
            guard r.u32() == magic, r.u32() == 1, r.u64() == first, let count = r.u64(), count == last - first + 1,
                let nameCount = r.u32(), UInt64(r.remaining) >= count * 20
            else { return nil }
            var names: [String] = []
            names.reserveCapacity(Int(nameCount))
            for _ in 0..<nameCount {
                guard let n = r.string16() else { return nil }
                names.append(n)
            }
            guard UInt64(r.remaining) == count * 20 else { return nil }
            var streams: [UInt32] = []
            streams.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let s = r.u32(), s < nameCount else { return nil }
                streams.append(s)
            }
            var ids: [UUID] = []
            ids.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let id = r.uuid() else { return nil }
                ids.append(id)
            }
            return IndexPart(first: first, names: names, streams: streams, ids: ids)
        }
    }

    /// The part saved for `segment` in `directory`, if there is a valid one.
    static func load(directory: String, first: UInt64, last: UInt64) -> IndexPart? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName(first: first)) else { return nil }
        return decode([UInt8](data), first: first, last: last)
    }

    func save(directory: String) throws {
        try SegmentFile.writeAtomically(encoded(), to: directory + "/" + Self.fileName(first: first))
    }
}
