import Crypto
import Foundation
import Synchronization

extension UUID {
    /// A name-based UUID (version-5 layout over SHA-256): the same name always gives the same
    /// id, which makes retried submissions and re-published alert transitions idempotent.
    public static func nameBased(_ name: Data) -> UUID {
        var d = Array(SHA256.hash(data: name).prefix(16))
        d[6] = (d[6] & 0x0F) | 0x50
        d[8] = (d[8] & 0x3F) | 0x80
        return UUID(uuid: (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]))
    }

    /// A random (version 4) UUID from the system CSPRNG (`getrandom`).
    ///
    /// Foundation's `UUID()` on Linux opens and closes `/dev/urandom` per call, which
    /// showed high in bulk-append profiles; event ids are made on every append path.
    public static func random() -> UUID {
        let (a, b) = RandomPool.next128()
        return fromHalves((a & ~0xF000) | 0x4000, b)  // version 4 (byte 6 high nibble)
    }

    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then 74
    /// random bits. The default id of new events: ids made close in time sort close together,
    /// so PostgreSQL's unique index on `event_id` grows at its right edge instead of touching
    /// a random page per event (which showed in the server's profile of batch appends).
    public static func timeOrdered(now: Date = Date()) -> UUID {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        let (r, b) = RandomPool.next128()
        let a = (ms << 16) | 0x7000 | (r & 0x0FFF)  // version 7 (byte 6 high nibble)
        return fromHalves(a, b)
    }

    /// Bytes 0–7 from `a` (big-endian), 8–15 from `b` (little-endian) with the RFC 4122
    /// variant bits set in byte 8.
    private static func fromHalves(_ a: UInt64, _ b: UInt64) -> UUID {
        let b = (b & ~0xC0) | 0x80  // variant 10 (byte 8)
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { p in
            p.storeBytes(of: a.bigEndian, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: b.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: t)
    }
}

/// Random bits for event ids, drawn from the kernel CSPRNG 4 KiB at a time: one read per
/// 256 ids instead of two `getrandom` calls per id (the syscalls showed in bulk-append
/// profiles, counting the client making the ids; benchmark notes: "UUID.random"). The process never forks without exec, so the
/// buffered bytes are never shared with a child.
enum RandomPool {
    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 4096
    }
    private static let pool = Mutex(Pool())
    /// Kept open: the kernel CSPRNG (the same source as `getrandom`), read 4 KiB at a time.
    private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    static func next128() -> (UInt64, UInt64) {
        pool.withLock { p in
            if p.used + 16 > p.bytes.count {
                p.bytes.withUnsafeMutableBytes { b in
                    var filled = 0
                    if urandom >= 0 {
                        while filled < b.count {
                            let n = read(urandom, b.baseAddress! + filled, b.count - filled)
                            if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { break }
                        }
                    }
                    // Anything getrandom did not fill comes from the standard generator.
                    var g = SystemRandomNumberGenerator()
                    while filled + 8 <= b.count {
                        b.storeBytes(of: g.next() as UInt64, toByteOffset: filled, as: UInt64.self)
                        filled += 8
                    }
                }
                p.used = 0
            }
            defer { p.used += 16 }
            return p.bytes.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: p.used, as: UInt64.self), $0.loadUnaligned(fromByteOffset: p.used + 8, as: UInt64.self))
            }
        }
    }
}
