import CKernels
import Crypto
import Foundation
import Synchronization

/// A SHA-256 value held inline, in its byte order: 32 bytes, no allocation, compared with four
/// word compares. Used for payload digests and chain hashes on the hot paths.
struct Digest32: Equatable, Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    init() {}

    /// `bytes` must hold at least 32 bytes; only the first 32 are used.
    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32)
        withUnsafeMutableBytes(of: &self) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<32])) }
    }

    init(_ data: Data) {
        self.init()
        if data.count == 32 { data.withUnsafeBytes { self = Digest32($0) } }
    }

    var data: Data { withUnsafeBytes(of: self) { Data($0) } }
}

/// SHA-256 over the concatenation of a few buffers, for the log's two hashes per record.
///
/// With the x86 SHA extensions (`sha_ni`, checked once at startup) the compression runs on
/// them directly, with the state in registers and no heap allocation; otherwise swift-crypto
/// does the work. swift-crypto's `SHA256` allocates a context object per hash, and with two
/// small hashes per record that allocation and its bookkeeping were a third of the hashing
/// time in audit profiles. `Tests/EventLogTests/FastSHA256Tests` checks both paths against
/// swift-crypto on random inputs of every length around the block boundaries.
enum FastSHA256 {
    /// Whether the CPU has the SHA extensions (asked once, with CPUID, by `CKernels`).
    static let available = presidio_sha256_ni_available() != 0
    static let portableOnly = Atomic<Bool>(false)
    /// Whether the SHA extensions are used: available, and not turned off (`Kernels`).
    static var accelerated: Bool { available && !portableOnly.load(ordering: .relaxed) }

    static func hash(_ a: UnsafeRawBufferPointer) -> Digest32 {
        hash(a, UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0))
    }

    static func hash(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Digest32 {
        if accelerated {
            var h = Accelerated()
            h.update(a)
            h.update(b)
            h.update(c)
            return h.finalize()
        }
        return portable(a, b, c)
    }

    /// SHA-256 of two messages at once: their blocks alternate, so the CPU overlaps the two
    /// dependency chains of `sha256rnds2` (one message's rounds wait on their own previous
    /// rounds, never on the other's).
    static func hashPair(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> (Digest32, Digest32) {
        if accelerated {
            var x = Accelerated()
            var y = Accelerated()
            Accelerated.updatePair(&x, a, &y, b)
            return (x.finalize(), y.finalize())
        }
        return (hash(a), hash(b))
    }

    /// The swift-crypto path (no SHA extensions, or other CPUs).
    static func portable(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Digest32 {
        var h = SHA256()
        h.update(bufferPointer: a)
        h.update(bufferPointer: b)
        h.update(bufferPointer: c)
        return h.finalize().withUnsafeBytes { Digest32($0) }
    }

    /// Streaming SHA-256 on the SHA extensions; the state is two vectors in the layout the
    /// `sha256rnds2` instruction wants (ABEF, CDGH), the pending block 64 inline bytes.
    struct Accelerated {
        // (f, e, b, a) and (h, g, d, c) of the initial hash value.
        var s0 = unsafeBitCast(SIMD4<UInt32>(0x9B05_688C, 0x510E_527F, 0xBB67_AE85, 0x6A09_E667), to: SIMD2<Int64>.self)
        var s1 = unsafeBitCast(SIMD4<UInt32>(0x5BE0_CD19, 0x1F83_D9AB, 0xA54F_F53A, 0x3C6E_F372), to: SIMD2<Int64>.self)
        var pending: (SIMD2<Int64>, SIMD2<Int64>, SIMD2<Int64>, SIMD2<Int64>) = (.zero, .zero, .zero, .zero)
        var pendingCount = 0
        var total: UInt64 = 0

        mutating func update(_ input: UnsafeRawBufferPointer) {
            guard var p = input.baseAddress else { return }
            var n = input.count
            total &+= UInt64(n)
            if pendingCount > 0 {
                let take = min(64 - pendingCount, n)
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.advanced(by: pendingCount).copyMemory(from: p, byteCount: take) }
                pendingCount += take
                p += take
                n -= take
                if pendingCount < 64 { return }
                withUnsafeBytes(of: pending) { Self.compress(&s0, &s1, $0.baseAddress!) }
                pendingCount = 0
            }
            while n >= 64 {
                Self.compress(&s0, &s1, p)
                p += 64
                n -= 64
            }
            if n > 0 {
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
                pendingCount = n
            }
        }

        /// Whole blocks of two fresh states, alternating; the rest as `update` would.
        static func updatePair(_ x: inout Accelerated, _ a: UnsafeRawBufferPointer, _ y: inout Accelerated, _ b: UnsafeRawBufferPointer) {
            let common = min(a.count, b.count) / 64
            if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                var sx = (x.s0, x.s1)
                var sy = (y.s0, y.s1)
                withUnsafeMutableBytes(of: &sx) { bx in
                    withUnsafeMutableBytes(of: &sy) { by in
                        for k in 0..<common { presidio_sha256_ni_compress2(bx.baseAddress!, pa + 64 * k, by.baseAddress!, pb + 64 * k) }
                    }
                }
                (x.s0, x.s1) = sx
                (y.s0, y.s1) = sy
                x.total = UInt64(64 * common)
                y.total = UInt64(64 * common)
            }
            x.update(UnsafeRawBufferPointer(rebasing: a[(64 * common)...]))
            y.update(UnsafeRawBufferPointer(rebasing: b[(64 * common)...]))
        }

        mutating func finalize() -> Digest32 {
            let bits = (total &* 8).bigEndian
            let used = pendingCount
            var s0 = s0
            var s1 = s1
            withUnsafeMutableBytes(of: &pending) { p in
                p[used] = 0x80
                for i in (used + 1)..<64 { p[i] = 0 }
                if used >= 56 {
                    Self.compress(&s0, &s1, p.baseAddress!)
                    for i in 0..<56 { p[i] = 0 }
                }
                p.storeBytes(of: bits, toByteOffset: 56, as: UInt64.self)
                Self.compress(&s0, &s1, p.baseAddress!)
            }
            let a = unsafeBitCast(s0, to: SIMD4<UInt32>.self)
            let b = unsafeBitCast(s1, to: SIMD4<UInt32>.self)
            var out = Digest32()
            withUnsafeMutableBytes(of: &out) { o in
                for (k, v) in [a[3], a[2], b[3], b[2], a[1], a[0], b[1], b[0]].enumerated() {
                    o.storeBytes(of: v.bigEndian, toByteOffset: 4 * k, as: UInt32.self)
                }
            }
            return out
        }

        /// One 64-byte block, in C (`CKernels`): the intrinsics need the SHA target, which
        /// Swift code could only get from architecture flags for the whole module.
        @inline(__always) static func compress(_ state0: inout SIMD2<Int64>, _ state1: inout SIMD2<Int64>, _ raw: UnsafeRawPointer) {
            var state = (state0, state1)
            withUnsafeMutableBytes(of: &state) { presidio_sha256_ni_compress($0.baseAddress!, raw) }
            (state0, state1) = state
        }
    }
}

/// Process-wide choices of the CPU kernels, made by the program that embeds the log (the CLI
/// maps `PRESIDIO_PORTABLE_SHA=1` to `usePortableSHA256(true)`); the library reads no
/// environment variables.
public enum Kernels {
    /// Hash with swift-crypto even where the SHA extensions exist (to compare, or to rule them out).
    public static func usePortableSHA256(_ on: Bool) { FastSHA256.portableOnly.store(on, ordering: .relaxed) }
    public static var sha256Accelerated: Bool { FastSHA256.accelerated }
}
