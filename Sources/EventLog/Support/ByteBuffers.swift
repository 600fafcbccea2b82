import Foundation

/// Where the canonical header is written: a growing array (`ByteWriter`) or a slice of a
/// preallocated block (`RawSink`). Generic so both specialise to plain stores.
protocol ByteSink {
    mutating func u8(_ v: UInt8)
    mutating func u16(_ v: UInt16)
    mutating func u32(_ v: UInt32)
    mutating func u64(_ v: UInt64)
    mutating func raw(_ p: UnsafeRawBufferPointer)
}

extension ByteSink {
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func uuid(_ u: UUID) { withUnsafeBytes(of: u.uuid) { raw($0) } }
    mutating func raw(_ d: Data) { d.withUnsafeBytes { raw($0) } }
    /// u16 length + UTF-8 bytes.
    mutating func string16(_ s: String) {
        NameTable.withBytes(s) { u in
            u16(UInt16(u.count))
            raw(u)
        }
    }
    /// u32 length + bytes.
    mutating func blob32(_ d: Data) {
        u32(UInt32(d.count))
        raw(d)
    }
}

/// Big-endian writes into memory the caller sized exactly (see `CommitEncoder`); the caller
/// checks the final offset against the size it computed.
struct RawSink: ByteSink {
    let base: UnsafeMutableRawPointer
    var offset: Int

    mutating func u8(_ v: UInt8) {
        base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
        offset += 1
    }
    mutating func u16(_ v: UInt16) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
        offset += 2
    }
    mutating func u32(_ v: UInt32) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }
    mutating func u64(_ v: UInt64) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
        offset += 8
    }
    mutating func raw(_ p: UnsafeRawBufferPointer) {
        if p.count > 0 { (base + offset).copyMemory(from: p.baseAddress!, byteCount: p.count) }
        offset += p.count
    }
}

/// Big-endian writer for the canonical encodings (records, blocks, footers, index parts).
struct ByteWriter: ByteSink {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func raw(_ p: UnsafeRawBufferPointer) { bytes.append(contentsOf: p) }
    mutating func raw<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }
    mutating func patchU32(at offset: Int, _ v: UInt32) {
        let be = v.bigEndian
        withUnsafeBytes(of: be) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }
}

/// Bounds-checked big-endian reader; every read returns nil past the end, so a torn or
/// corrupt buffer can never crash the process.
struct ByteReader {
    let base: UnsafeRawBufferPointer
    var offset: Int

    init(_ base: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    var remaining: Int { base.count - offset }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return base[offset]
    }
    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }
    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { offset += 8 }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
    mutating func bytes(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<offset + n])
    }
    mutating func data(_ n: Int) -> Data? { bytes(n).map { Data($0) } }
    mutating func uuid() -> UUID? {
        guard let b = bytes(16) else { return nil }
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { $0.copyMemory(from: b) }
        return UUID(uuid: t)
    }
    mutating func string16() -> String? {
        guard let n = u16(), let b = bytes(Int(n)) else { return nil }
        return UTF8Check.string(b)
    }
    mutating func blob32() -> Data? {
        guard let n = u32() else { return nil }
        return data(Int(n))
    }
}

/// UTF-8 checks with an ASCII fast path (`String(validating:)` alone costs a generic-metadata
/// lookup per call, which showed in profiles of record decoding).
enum UTF8Check {
    static func isASCII(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        guard let p = b.baseAddress else { return true }
        while i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if p.load(fromByteOffset: i, as: UInt8.self) >= 0x80 { return false }
            i += 1
        }
        return true
    }

    static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        isASCII(b) || String(validating: b.bindMemory(to: UInt8.self), as: UTF8.self) != nil
    }

    static func string(_ b: UnsafeRawBufferPointer) -> String? {
        if isASCII(b) { return String(decoding: b, as: UTF8.self) }
        return String(validating: b.bindMemory(to: UInt8.self), as: UTF8.self)
    }
}
