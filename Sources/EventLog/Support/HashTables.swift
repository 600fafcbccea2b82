import Foundation

/// Hashing for the writer's and the auditor's hot tables.
///
/// Swift's `Dictionary` hashes every key with SipHash through `Hasher`; with one lookup per
/// stream and per event id on the append and verify paths that showed high in the profiles
/// (benchmark notes: "FastHash"). Keys here are hashed with a seeded multiply-xor mix of 8-byte words instead: the
/// seed is random per process, so clients cannot pick colliding stream names or ids offline.
enum FastHash {
    static let seed: UInt64 = .random(in: .min ... .max)

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func bytes(_ p: UnsafeRawBufferPointer) -> UInt64 {
        var h = seed ^ (UInt64(p.count) &* 0x9E37_79B9_7F4A_7C15)
        guard let base = p.baseAddress else { return mix(h) }
        var i = 0
        while i + 8 <= p.count {
            h = mix(h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < p.count {
            tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        return mix(h ^ tail)
    }

    static func id(hi: UInt64, lo: UInt64) -> UInt64 { mix(hi ^ mix(lo ^ seed)) }

    @inline(__always) static func halves(_ u: UUID) -> (UInt64, UInt64) {
        withUnsafeBytes(of: u.uuid) { ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
    }
}

/// Byte strings (stream and category names) to dense ids 0, 1, 2 …, by open addressing.
/// Names compare by their UTF-8 bytes, as PostgreSQL compares them, so the two stores agree
/// on what "the same stream" is.
struct NameTable: Sendable {
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32] = Array(repeating: -1, count: 16)

    var count: Int { hashes.count }

    func find(_ key: UnsafeRawBufferPointer) -> Int? { find(key, hash: FastHash.bytes(key)) }

    func find(_ name: String) -> Int? { Self.withBytes(name) { find($0) } }

    /// The id of `key`, inserting it if new.
    mutating func insert(_ key: UnsafeRawBufferPointer) -> (id: Int, inserted: Bool) { insert(key, hash: FastHash.bytes(key)) }

    /// `insert` with the key's `FastHash.bytes` hash computed by the caller.
    mutating func insert(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> (id: Int, inserted: Bool) {
        if let id = find(key, hash: h) { return (id, false) }
        if (hashes.count + 1) * 2 > slots.count { grow() }
        let id = hashes.count
        hashes.append(h)
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        place(id: id, hash: h)
        return (id, true)
    }

    mutating func insert(_ name: String) -> (id: Int, inserted: Bool) { Self.withBytes(name) { insert($0) } }

    func name(_ id: Int) -> String {
        arena.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[offsets[id]..<offsets[id + 1]]), as: UTF8.self) }
    }

    /// `find` with the key's `FastHash.bytes` hash computed by the caller.
    func find(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return arena.withUnsafeBytes { a in
            while true {
                let id = Int(slots[i])
                if id < 0 { return nil }
                if hashes[id] == h {
                    let start = offsets[id]
                    let length = offsets[id + 1] - start
                    if length == key.count && (length == 0 || memcmp(a.baseAddress! + start, key.baseAddress!, length) == 0) {
                        return id
                    }
                }
                i = (i + 1) & mask
            }
        }
    }

    private mutating func place(id: Int, hash h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(id)
    }

    /// Room for `n` names without growing.
    mutating func reserve(_ n: Int) {
        var size = slots.count
        while n * 2 > size { size *= 2 }
        if size > slots.count { grow(to: size) }
    }

    private mutating func grow() { grow(to: slots.count * 2) }

    private mutating func grow(to size: Int) {
        slots = Array(repeating: -1, count: size)
        for id in 0..<hashes.count { place(id: id, hash: hashes[id]) }
    }

    /// The UTF-8 bytes of `s`, in place. `utf8.withContiguousStorageIfAvailable` reads a native
    /// string (small ones included) where it is; `var s = s; s.withUTF8` copies, several times
    /// per event on the append path (benchmark notes: "withBytes"). Bridged strings take the copy.
    @inline(__always) static func withBytes<T>(_ s: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        if let r = s.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return r }
        var s = s
        return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

/// Event ids to non-zero values (positions), by open addressing over the id's two 64-bit
/// halves. Key and value share one 24-byte slot: a lookup in a table far larger than the CPU
/// caches costs one cache miss, not two.
///
/// The slots live in `ZeroedSlots` with copy-on-write, so the table is still a value: a copy
/// taken under the lock stays as it was while the writer goes on.
///
/// Growing never stops the writer for long. The next size is made ahead on another thread
/// (`SpareSlots`), and the entries move into it a few slots per insert, not all at once:
/// rehashing every entry at once stalls the writer for a time that grows with the log
/// (benchmark notes: "IdTable growth"). While entries move, an
/// id is looked for in the new slots first, then in the old ones.
struct IdTable: Sendable {
    fileprivate struct Slot {
        var hi: UInt64
        var lo: UInt64
        /// 0 = empty.
        var value: UInt64
    }
    private var storage = ZeroedSlots<Slot>(count: 16)
    /// While growing: the previous slots, whose entries from `moved` on are not yet in
    /// `storage` (entries before it are, with their current values).
    private var old: ZeroedSlots<Slot>?
    private var moved = 0
    private(set) var count = 0
    /// The next size's slots, made and faulted in on another thread (see `SpareSlots`).
    private var spare: SpareSlots<Slot>?
    /// The size last asked of `spare` (asked once per growth, not at every insert).
    private var requested = 0
    /// Old slots moved per insert: all of them have moved after an eighth of the old size of
    /// inserts, long before the new slots are half full and the table grows again.
    private static var movePerInsert: Int { 8 }

    func find(_ id: UUID) -> UInt64? {
        let (hi, lo) = FastHash.halves(id)
        if let i = Self.slot(in: storage, hi, lo) { return storage.base[i].value }
        guard let old, let i = Self.slot(in: old, hi, lo) else { return nil }
        return old.base[i].value
    }

    /// The indices of `ids` in the order of their home slots, for a batch of finds or sets.
    ///
    /// Probes in random order missed the cache and, with 4 KiB pages, the TLB on nearly every
    /// id; in slot order, neighbouring ids of a large batch share pages and cache lines. A
    /// counting sort on the slot's top bits costs a few nanoseconds per id, less than the
    /// misses it saves (benchmark notes: "slotOrder").
    func slotOrder(_ count: Int, id: (Int) -> UUID) -> [Int32] {
        // A small batch (or table) gains nothing, and the bucket counts would cost more.
        if count < 256 || storage.count < 1 << 16 { return (0..<Int32(count)).map { $0 } }
        let bits = min(12, storage.count.trailingZeroBitCount)
        let buckets = 1 << bits
        let shift = storage.count.trailingZeroBitCount - bits
        let mask = storage.count - 1
        var keys = [UInt16](repeating: 0, count: count)
        var starts = [Int32](repeating: 0, count: buckets + 1)
        for i in 0..<count {
            let (hi, lo) = FastHash.halves(id(i))
            let k = UInt16((Int(truncatingIfNeeded: FastHash.id(hi: hi, lo: lo)) & mask) >> shift)
            keys[i] = k
            starts[Int(k) + 1] += 1
        }
        for b in 0..<buckets { starts[b + 1] += starts[b] }
        var order = [Int32](repeating: 0, count: count)
        for i in 0..<count {
            let k = Int(keys[i])
            order[Int(starts[k])] = Int32(i)
            starts[k] += 1
        }
        return order
    }

    /// Sets the value of `id` (insert or overwrite).
    mutating func set(_ id: UUID, _ value: UInt64) {
        precondition(value != 0)
        if (count + 1) * 2 > storage.count {
            grow(to: storage.count * 2, gradually: true)
        } else if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        } else if old == nil && count * 8 >= storage.count * 3 && storage.count * 2 >= ZeroedSlots<Slot>.mappedCount
            && requested != storage.count * 2
        {
            // Three eighths full: have the next size made while this one fills up.
            requested = storage.count * 2
            if spare == nil { spare = SpareSlots() }
            spare!.request(count: requested)
        }
        let (hi, lo) = FastHash.halves(id)
        if old != nil {
            // An id not moved yet is moved now, with its new value: a later move must not
            // bring back the old one.
            if let j = Self.slot(in: old!, hi, lo), j >= moved {
                if !isKnownUniquelyReferenced(&old) { old = old!.copy() }
                old!.base[j].value = value
                moveSome()
                return
            }
            moveSome()
        }
        if Self.put(storage, hi, lo, value) { count += 1 }
    }

    /// Calls `body` for every (id, value).
    func forEach(_ body: (UUID, UInt64) -> Void) {
        func each(_ s: Slot) {
            var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &t) {
                $0.storeBytes(of: s.hi, as: UInt64.self)
                $0.storeBytes(of: s.lo, toByteOffset: 8, as: UInt64.self)
            }
            body(UUID(uuid: t), s.value)
        }
        for k in 0..<storage.count where storage.base[k].value != 0 { each(storage.base[k]) }
        if let old {
            for k in moved..<old.count where old.base[k].value != 0 { each(old.base[k]) }
        }
    }

    mutating func reserve(_ n: Int) {
        var size = storage.count
        while n * 2 > size { size *= 2 }
        if size > storage.count { grow(to: size, gradually: false) }
    }

    /// Where the id's probe ends: the slot holding it (`found`), or the empty slot it would take.
    private static func locate(_ storage: ZeroedSlots<Slot>, _ hi: UInt64, _ lo: UInt64) -> (index: Int, found: Bool) {
        let t = storage.base
        let mask = storage.count - 1
        var i = Int(truncatingIfNeeded: FastHash.id(hi: hi, lo: lo)) & mask
        while t[i].value != 0 {
            if t[i].hi == hi && t[i].lo == lo { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    /// The slot holding the id, or nil.
    private static func slot(in storage: ZeroedSlots<Slot>, _ hi: UInt64, _ lo: UInt64) -> Int? {
        let (i, found) = locate(storage, hi, lo)
        return found ? i : nil
    }

    /// Returns true when the id was new.
    private static func put(_ storage: ZeroedSlots<Slot>, _ hi: UInt64, _ lo: UInt64, _ value: UInt64) -> Bool {
        let (i, found) = locate(storage, hi, lo)
        if found {
            storage.base[i].value = value
        } else {
            storage.base[i] = Slot(hi: hi, lo: lo, value: value)
        }
        return !found
    }

    /// Puts the entries of `from`'s slots in `range` into `into`.
    private static func copyEntries(_ from: ZeroedSlots<Slot>, _ range: Range<Int>, into: ZeroedSlots<Slot>) {
        for k in range where from.base[k].value != 0 {
            _ = put(into, from.base[k].hi, from.base[k].lo, from.base[k].value)
        }
    }

    /// Moves the next few old slots' entries into `storage` (which the caller made unique).
    private mutating func moveSome() {
        guard let from = old else { return }
        let end = min(from.count, moved + Self.movePerInsert)
        Self.copyEntries(from, moved..<end, into: storage)
        moved = end
        if moved == from.count { old = nil }
    }

    /// Continues in `size` slots: by moving entries a few per insert from now on (`gradually`),
    /// or all at once. `storage` and `old` are only read, never written: a copy may share them.
    private mutating func grow(to size: Int, gradually: Bool) {
        let new = spare?.take(count: size) ?? ZeroedSlots<Slot>(count: size)
        if gradually && old == nil {
            old = storage
        } else {
            Self.copyEntries(storage, 0..<storage.count, into: new)
            // Entries still to move from an earlier growth (only if inserts outran the moving,
            // which `movePerInsert` rules out for `set`).
            if let old { Self.copyEntries(old, moved..<old.count, into: new) }
            old = nil
        }
        moved = 0
        storage = new
    }
}

/// Zero-filled slots for a hash table whose all-zero slot means "empty".
///
/// Tables of 2 MiB and more are mapped on their own (and unmapped when dropped), on ordinary
/// 4 KiB pages. Transparent huge pages were tried: they save TLB misses on random probes,
/// but on these VMs a fresh 2 MiB page is often one the host has taken back: faulting those
/// in was several times slower than small pages and made the append rate swing from run to
/// run (benchmark notes: "huge pages"). The faults are taken off the writer by `SpareSlots`.
final class ZeroedSlots<Slot>: @unchecked Sendable {
    // @unchecked: only written through a table that holds the sole reference (copy-on-write).
    /// Tables of this many slots and more are mapped on their own (2 MiB).
    static var mappedCount: Int { (2 << 20) / MemoryLayout<Slot>.stride }
    let base: UnsafeMutablePointer<Slot>
    let count: Int
    private let bytes: Int
    private let mapped: Bool

    init(count: Int) {
        let bytes = count * MemoryLayout<Slot>.stride
        self.count = count
        self.bytes = bytes
        if bytes >= 2 << 20, let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
            base = p.bindMemory(to: Slot.self, capacity: count)
            mapped = true
        } else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
            memset(p, 0, bytes)
            base = p.bindMemory(to: Slot.self, capacity: count)
            mapped = false
        }
    }

    /// Writes one byte of every page, so the kernel maps (and zeroes) them now and not at the
    /// first probes that land there. The bytes written are zeros: the slots stay empty.
    func fault() {
        let raw = UnsafeMutableRawPointer(base)
        var o = 0
        while o < bytes {
            raw.storeBytes(of: 0, toByteOffset: o, as: UInt8.self)
            o += 4096
        }
    }

    func copy() -> ZeroedSlots {
        let c = ZeroedSlots(count: count)
        UnsafeMutableRawPointer(c.base).copyMemory(from: base, byteCount: bytes)
        return c
    }

    deinit {
        if mapped {
            munmap(base, bytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

/// The next, larger slots of a growing table, made on a background thread.
///
/// Mapping a large table is cheap, but its first touches are not: the kernel has to find and
/// zero a page for each (and on these VMs the host may have to supply it first).
/// Growing a table on the writer, nearly all of it in those faults, was the p99 of a bulk
/// load (benchmark notes: "SpareSlots"). Asked for when the table is three eighths full, the spare is usually
/// ready before the table is half full and grows; if it is still being made, `take` waits for
/// it rather than making a second one.
final class SpareSlots<Slot>: @unchecked Sendable {
    // @unchecked: `ready` and `making` are only touched under `condition`.
    private let condition = NSCondition()
    private var ready: ZeroedSlots<Slot>?
    private var making = 0

    /// Starts making `count` slots unless they are made or being made.
    func request(count: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard making != count && ready?.count != count else { return }
        ready = nil
        making = count
        DispatchQueue.global(qos: .utility).async { [self] in
            let slots = ZeroedSlots<Slot>(count: count)
            slots.fault()
            condition.lock()
            if making == count {
                ready = slots
                making = 0
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The spare of exactly `count` slots if there is (or soon will be) one; nil otherwise.
    func take(count: Int) -> ZeroedSlots<Slot>? {
        condition.lock()
        defer { condition.unlock() }
        while making == count { condition.wait() }
        guard let slots = ready, slots.count == count else { return nil }
        ready = nil
        return slots
    }
}
