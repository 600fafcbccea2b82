import Foundation

/// Per-stream, per-category and per-event-id lookups, so no lookup scans the log.
///
/// Kept in memory and saved as `index.snapshot` (LZ4, CRC) whenever a segment is sealed and
/// on close; on open only the records after the snapshot's position are replayed, which is at
/// most one active segment after a crash.
struct StreamIndex: Sendable {
    /// Positions of each stream's events; a stream's version is the array index.
    var streams: [String: [UInt64]] = [:]
    var categories: [String: [UInt64]] = [:]
    var eventIds: [UUID: UInt64] = [:]
    /// The index covers positions 1...position.
    var position: UInt64 = 0

    func version(of stream: String) -> UInt64? {
        guard let p = streams[stream], !p.isEmpty else { return nil }
        return UInt64(p.count - 1)
    }

    mutating func add(position: UInt64, stream: String, id: UUID) {
        streams[stream, default: []].append(position)
        categories[StreamName.category(of: stream), default: []].append(position)
        eventIds[id] = position
        self.position = position
    }

    static let magic: UInt32 = 0x5049_4458  // PIDX
    static let fileName = "index.snapshot"

    /// `"PIDX" | u32 1 | u64 position | u8 compressed | u64 rawLength | u32 crc(stored) | stored`
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 1 << 16)
        w.u32(UInt32(streams.count))
        for (name, positions) in streams {
            w.string16(name)
            w.u64(UInt64(positions.count))
            for p in positions { w.u64(p) }
        }
        w.u32(UInt32(categories.count))
        for (name, positions) in categories {
            w.string16(name)
            w.u64(UInt64(positions.count))
            for p in positions { w.u64(p) }
        }
        w.u64(UInt64(eventIds.count))
        for (id, p) in eventIds {
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
                index.streams.reserveCapacity(Int(ns))
                for _ in 0..<ns {
                    guard let name = r.string16(), let ps = positions(&r) else { return nil }
                    index.streams[name] = ps
                }
                guard let nc = r.u32() else { return nil }
                for _ in 0..<nc {
                    guard let name = r.string16(), let ps = positions(&r) else { return nil }
                    index.categories[name] = ps
                }
                guard let ni = r.u64(), ni <= UInt64(r.remaining / 24) else { return nil }
                index.eventIds.reserveCapacity(Int(ni))
                for _ in 0..<ni {
                    guard let id = r.uuid(), let pos = r.u64() else { return nil }
                    index.eventIds[id] = pos
                }
                guard r.remaining == 0 else { return nil }
                return index
            }
        }
    }
}
