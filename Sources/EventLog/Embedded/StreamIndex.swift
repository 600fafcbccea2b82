import Foundation

/// Per-stream, per-category and per-event-id lookups, so no lookup scans the log.
///
/// Kept in memory; each sealed segment's entries are saved beside it as an `IndexPart`, so
/// on open only segments without a valid part (and the active segment) are replayed.
struct StreamIndex: Sendable {
    /// Stream names → dense stream numbers; positions and category per stream number.
    private var streamNames = NameTable()
    private var streamPositions: [[UInt64]] = []
    private var streamCategory: [Int] = []
    private var categoryNames = NameTable()
    private var categoryPositions: [[UInt64]] = []
    private var eventIds = IdTable()
    /// The entries added since the last `takePart`: the active segment's, for its part.
    private var pendingStreams: [Int32] = []
    private var pendingIds: [UUID] = []
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

    /// Positions of many event ids (nil where unknown), looked up in slot order (see
    /// `IdTable.slotOrder`).
    func positions(ofEventIds count: Int, id: (Int) -> UUID) -> [UInt64?] {
        var out = [UInt64?](repeating: nil, count: count)
        for i in eventIds.slotOrder(count, id: id) { out[Int(i)] = eventIds.find(id(Int(i))) }
        return out
    }

    /// Maps many event ids to their positions, in slot order; `add(…, indexId: false)` adds
    /// the rest of those events.
    mutating func setPositions(ofEventIds count: Int, id: (Int) -> UUID, position: (Int) -> UInt64) {
        for i in eventIds.slotOrder(count, id: id) { eventIds.set(id(Int(i)), position(Int(i))) }
    }

    /// Adds an event by its stream's name; returns the stream's number.
    @discardableResult
    mutating func add(position: UInt64, stream: String, id: UUID) -> Int {
        NameTable.withBytes(stream) { key in
            let h = FastHash.bytes(key)
            return add(position: position, streamId: streamNames.find(key, hash: h), key: key, hash: h, id: id)
        }
    }

    /// The number of the stream whose name has these bytes (and `FastHash.bytes` hash), or nil.
    func streamId(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? { streamNames.find(key, hash: hash) }

    func version(ofStreamId k: Int) -> UInt64 { UInt64(streamPositions[k].count - 1) }

    /// Adds an event of stream number `streamId`, or of the stream named by `key` when that is
    /// nil (a new stream); returns the stream's number.
    mutating func add(position: UInt64, streamId: Int?, key: UnsafeRawBufferPointer, hash: UInt64, id: UUID, indexId: Bool = true) -> Int {
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
        if indexId { eventIds.set(id, position) }
        pendingStreams.append(Int32(k))
        pendingIds.append(id)
        self.position = position
        return k
    }

    /// The entries added since the last call, as the part of the segment starting at `first`.
    mutating func takePart(first: UInt64) -> IndexPart {
        var local: [Int32: UInt32] = [:]
        var names: [String] = []
        var streams: [UInt32] = []
        streams.reserveCapacity(pendingStreams.count)
        for k in pendingStreams {
            if let n = local[k] {
                streams.append(n)
            } else {
                let n = UInt32(names.count)
                local[k] = n
                names.append(streamNames.name(Int(k)))
                streams.append(n)
            }
        }
        let part = IndexPart(first: first, names: names, streams: streams, ids: pendingIds)
        pendingStreams = []
        pendingIds = []
        return part
    }

    /// Adds a saved segment's entries (positions `part.first`…, in order); they are not
    /// pending afterwards, since they are saved already.
    mutating func apply(_ part: IndexPart) {
        precondition(pendingIds.isEmpty, "parts are applied in order, before any replay")
        var numbers = [Int?](repeating: nil, count: part.names.count)
        for i in 0..<part.count {
            let n = Int(part.streams[i])
            let position = part.first + UInt64(i)
            if let k = numbers[n] {
                // A known stream number: the name is not looked at.
                _ = add(position: position, streamId: k, key: UnsafeRawBufferPointer(start: nil, count: 0), hash: 0, id: part.ids[i])
            } else {
                numbers[n] = add(position: position, stream: part.names[n], id: part.ids[i])
            }
        }
        pendingStreams.removeAll(keepingCapacity: true)
        pendingIds.removeAll(keepingCapacity: true)
    }
}
