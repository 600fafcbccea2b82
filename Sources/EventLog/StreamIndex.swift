import Foundation

/// Per-stream, per-category and per-event-id lookups, so no lookup scans the log.
///
/// Kept in memory and saved as `index.snapshot` (LZ4, CRC) whenever a segment is sealed and
/// on close; on open only the records after the snapshot's position are replayed, which is at
/// most one active segment after a crash.
struct StreamIndex: Sendable {
    /// Stream names → dense stream numbers; positions and category per stream number.
    private var streamNames = NameTable()
    private var streamPositions: [[UInt64]] = []
    private var streamCategory: [Int] = []
    private var categoryNames = NameTable()
    private var categoryPositions: [[UInt64]] = []
    private var eventIds = IdTable()
    /// The index covers positions 1...position.
    var position: UInt64 = 0

    var streamCount: Int { streamNames.count }
    var categoryCount: Int { categoryNames.count }

    /// The writer's view: every written event counts.
    func version(of stream: String) -> UInt64? {
        guard let k = streamNames.find(stream) else { return nil }
        return UInt64(streamPositions[k].count - 1)
    }

    /// A reader's view: only events up to the durable `head` count (the writer indexes a
    /// commit while its fdatasync runs).
    func version(of stream: String, upTo head: UInt64) -> UInt64? {
        guard let k = streamNames.find(stream) else { return nil }
        let p = streamPositions[k]
        var n = p.count
        while n > 0 && p[n - 1] > head { n -= 1 }
        return n == 0 ? nil : UInt64(n - 1)
    }

    /// Positions of a stream's events (its version is the array index).
    func positions(ofStream stream: String) -> [UInt64]? { streamNames.find(stream).map { streamPositions[$0] } }

    func positions(ofCategory category: String) -> [UInt64]? { categoryNames.find(category).map { categoryPositions[$0] } }

    func position(ofEventId id: UUID) -> UInt64? { eventIds.find(id) }

    /// See `IdTable.prefetch`: call before a batch of lookups or adds.
    func prefetch<S: Sequence>(ids: S) where S.Element == UUID { eventIds.prefetch(ids) }

    mutating func add(position: UInt64, stream: String, id: UUID) {
        NameTable.withBytes(stream) { key in
            let h = FastHash.bytes(key)
            _ = add(position: position, streamId: streamNames.find(key, hash: h), key: key, hash: h, id: id)
        }
    }

    /// The number of the stream whose name has these bytes (and `FastHash.bytes` hash), or nil.
    func streamId(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? { streamNames.find(key, hash: hash) }

    func version(ofStreamId k: Int) -> UInt64 { UInt64(streamPositions[k].count - 1) }

    /// Adds an event of stream number `streamId`, or of the stream named by `key` when that is
    /// nil (a new stream); returns the stream's number.
    mutating func add(position: UInt64, streamId: Int?, key: UnsafeRawBufferPointer, hash: UInt64, id: UUID) -> Int {
        let k: Int
        if let streamId {
            k = streamId
            streamPositions[k].append(position)
        } else {
            let inserted: Bool
            (k, inserted) = streamNames.insert(key, hash: hash)
            if inserted {
                let dash = key.firstIndex(of: UInt8(ascii: "-")) ?? key.count
                let (c, newCategory) = categoryNames.insert(UnsafeRawBufferPointer(rebasing: key[..<dash]))
                if newCategory { categoryPositions.append([]) }
                streamPositions.append([position])
                streamCategory.append(c)
            } else {
                streamPositions[k].append(position)
            }
        }
        categoryPositions[streamCategory[k]].append(position)
        eventIds.set(id, position)
        self.position = position
        return k
    }

    static let magic: UInt32 = 0x5049_4458  // PIDX
    static let fileName = "index.snapshot"

    /// `"PIDX" | u32 1 | u64 position | u8 compressed | u64 rawLength | u32 crc(stored) | stored`
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 1 << 16)
        w.u32(UInt32(streamNames.count))
        for k in 0..<streamNames.count {
            w.string16(streamNames.name(k))
            w.u64(UInt64(streamPositions[k].count))
            for p in streamPositions[k] { w.u64(p) }
        }
        w.u32(UInt32(categoryNames.count))
        for c in 0..<categoryNames.count {
            w.string16(categoryNames.name(c))
            w.u64(UInt64(categoryPositions[c].count))
            for p in categoryPositions[c] { w.u64(p) }
        }
        w.u64(UInt64(eventIds.count))
        eventIds.forEach { id, p in
            w.uuid(id)
            w.u64(p)
        }
        let raw = w.bytes
        let compressed = raw.withUnsafeBytes { LZ4.compress($0) }
        var out = ByteWriter(capacity: (compressed?.count ?? raw.count) + 32)
        out.u32(Self.magic)
        out.u32(1)
        out.u64(position)
        out.u8(compressed != nil ? 1 : 0)
        out.u64(UInt64(raw.count))
        let stored = compressed ?? raw
        out.u32(CRC32C.checksum(stored))
        out.raw(stored)
        return out.bytes
    }

    /// Decodes a snapshot; nil if anything is off (the caller then rebuilds from the log).
    static func decode(_ bytes: [UInt8]) -> StreamIndex? {
        bytes.withUnsafeBytes { p -> StreamIndex? in
            var r = ByteReader(p)
            guard r.u32() == magic, r.u32() == 1, let position = r.u64(), let compressed = r.u8(),
                let rawLength = r.u64(), let crc = r.u32()
            else { return nil }
            let stored = UnsafeRawBufferPointer(rebasing: p[r.offset...])
            guard CRC32C.checksum(stored) == crc else { return nil }
            let raw: [UInt8]
            if compressed == 1 {
                guard let d = LZ4.decompress(stored, originalLength: Int(rawLength)) else { return nil }
                raw = d
            } else {
                raw = Array(stored)
            }
            return raw.withUnsafeBytes { q -> StreamIndex? in
                var r = ByteReader(q)
                var index = StreamIndex()
                index.position = position
                func positions(_ r: inout ByteReader) -> [UInt64]? {
                    guard let n = r.u64(), n <= UInt64(r.remaining / 8) else { return nil }
                    var a = [UInt64]()
                    a.reserveCapacity(Int(n))
                    for _ in 0..<n {
                        guard let v = r.u64() else { return nil }
                        a.append(v)
                    }
                    return a
                }
                guard let ns = r.u32() else { return nil }
                for _ in 0..<ns {
                    guard let name = r.string16(), let ps = positions(&r), !ps.isEmpty,
                        index.streamNames.insert(name).inserted
                    else { return nil }
                    index.streamPositions.append(ps)
                    let (c, newCategory) = index.categoryNames.insert(StreamName.category(of: name))
                    if newCategory { index.categoryPositions.append([]) }
                    index.streamCategory.append(c)
                }
                guard let nc = r.u32(), nc == index.categoryNames.count else { return nil }
                for _ in 0..<nc {
                    guard let name = r.string16(), let ps = positions(&r), let c = index.categoryNames.find(name) else { return nil }
                    index.categoryPositions[c] = ps
                }
                guard let ni = r.u64(), ni <= UInt64(r.remaining / 24) else { return nil }
                index.eventIds.reserve(Int(ni))
                for _ in 0..<ni {
                    guard let id = r.uuid(), let pos = r.u64(), pos != 0 else { return nil }
                    index.eventIds.set(id, pos)
                }
                guard r.remaining == 0 else { return nil }
                return index
            }
        }
    }
}
