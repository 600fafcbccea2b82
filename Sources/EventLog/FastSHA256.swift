#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import Crypto
import Foundation

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
    /// Whether the SHA extensions are used (`PRESIDIO_PORTABLE_SHA=1` turns them off).
    static let accelerated: Bool = {
        #if arch(x86_64) && os(Linux)
        if ProcessInfo.processInfo.environment["PRESIDIO_PORTABLE_SHA"] == "1" { return false }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " "))
        return set.contains("sha_ni") && set.contains("ssse3") && set.contains("sse4_1")
        #else
        return false
        #endif
    }()

    static func hash(_ a: UnsafeRawBufferPointer) -> Digest32 {
        hash(a, UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0))
    }

    static func hash(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Digest32 {
        #if arch(x86_64)
        if accelerated {
            var h = Accelerated()
            h.update(a)
            h.update(b)
            h.update(c)
            return h.finalize()
        }
        #endif
        return portable(a, b, c)
    }

    /// SHA-256 of two messages at once: their blocks alternate, so the CPU overlaps the two
    /// dependency chains of `sha256rnds2` (one message's rounds wait on their own previous
    /// rounds, never on the other's).
    static func hashPair(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> (Digest32, Digest32) {
        #if arch(x86_64)
        if accelerated {
            var x = Accelerated()
            var y = Accelerated()
            Accelerated.updatePair(&x, a, &y, b)
            return (x.finalize(), y.finalize())
        }
        #endif
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

    #if arch(x86_64)
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
                for k in 0..<common {
                    compress(&x.s0, &x.s1, pa + 64 * k)
                    compress(&y.s0, &y.s1, pb + 64 * k)
                }
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

        static let k: [SIMD2<Int64>] = [
        SIMD4<UInt32>(0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5),
        SIMD4<UInt32>(0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5),
        SIMD4<UInt32>(0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3),
        SIMD4<UInt32>(0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174),
        SIMD4<UInt32>(0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC),
        SIMD4<UInt32>(0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA),
        SIMD4<UInt32>(0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7),
        SIMD4<UInt32>(0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967),
        SIMD4<UInt32>(0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13),
        SIMD4<UInt32>(0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85),
        SIMD4<UInt32>(0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3),
        SIMD4<UInt32>(0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070),
        SIMD4<UInt32>(0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5),
        SIMD4<UInt32>(0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3),
        SIMD4<UInt32>(0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208),
        SIMD4<UInt32>(0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2)
        ].map { unsafeBitCast($0, to: SIMD2<Int64>.self) }

        /// (x, y) → lanes (y1, y2, y3, x0): `palignr x, y, 4`, written with vector lanes
        /// because the C intrinsic is a macro Swift cannot import.
        @inline(__always) static func alignr4(_ x: SIMD2<Int64>, _ y: SIMD2<Int64>) -> SIMD2<Int64> {
            let a = unsafeBitCast(x, to: SIMD4<UInt32>.self)
            let b = unsafeBitCast(y, to: SIMD4<UInt32>.self)
            return unsafeBitCast(SIMD4<UInt32>(b[1], b[2], b[3], a[0]), to: SIMD2<Int64>.self)
        }

        /// One 64-byte block: 64 rounds, four per `sha256rnds2` pair, message schedule on
        /// `sha256msg1`/`sha256msg2` (the layout of Intel's reference code).
        @inline(__always) static func compress(_ state0: inout SIMD2<Int64>, _ state1: inout SIMD2<Int64>, _ raw: UnsafeRawPointer) {
            let mask = unsafeBitCast(
                SIMD16<UInt8>(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12), to: SIMD2<Int64>.self)
            let block = raw.assumingMemoryBound(to: SIMD2<Int64>.self)
            var s0 = state0
            var s1 = state1
            var msg = SIMD2<Int64>.zero
            k.withUnsafeBufferPointer { k in
                // Rounds 0-3 (message words 0-3 loaded and byte-swapped).
                var w0 = _mm_shuffle_epi8(_mm_loadu_si128(block + 0), mask)
                msg = _mm_add_epi32(w0, k[0])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                // Rounds 4-7 (message words 4-7 loaded and byte-swapped).
                var w1 = _mm_shuffle_epi8(_mm_loadu_si128(block + 1), mask)
                msg = _mm_add_epi32(w1, k[1])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w0 = _mm_sha256msg1_epu32(w0, w1)
                // Rounds 8-11 (message words 8-11 loaded and byte-swapped).
                var w2 = _mm_shuffle_epi8(_mm_loadu_si128(block + 2), mask)
                msg = _mm_add_epi32(w2, k[2])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w1 = _mm_sha256msg1_epu32(w1, w2)
                // Rounds 12-15 (message words 12-15 loaded and byte-swapped).
                var w3 = _mm_shuffle_epi8(_mm_loadu_si128(block + 3), mask)
                msg = _mm_add_epi32(w3, k[3])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w0 = _mm_sha256msg2_epu32(_mm_add_epi32(w0, alignr4(w3, w2)), w3)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w2 = _mm_sha256msg1_epu32(w2, w3)
                // Rounds 16-19.
                msg = _mm_add_epi32(w0, k[4])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w1 = _mm_sha256msg2_epu32(_mm_add_epi32(w1, alignr4(w0, w3)), w0)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w3 = _mm_sha256msg1_epu32(w3, w0)
                // Rounds 20-23.
                msg = _mm_add_epi32(w1, k[5])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w2 = _mm_sha256msg2_epu32(_mm_add_epi32(w2, alignr4(w1, w0)), w1)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w0 = _mm_sha256msg1_epu32(w0, w1)
                // Rounds 24-27.
                msg = _mm_add_epi32(w2, k[6])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w3 = _mm_sha256msg2_epu32(_mm_add_epi32(w3, alignr4(w2, w1)), w2)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w1 = _mm_sha256msg1_epu32(w1, w2)
                // Rounds 28-31.
                msg = _mm_add_epi32(w3, k[7])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w0 = _mm_sha256msg2_epu32(_mm_add_epi32(w0, alignr4(w3, w2)), w3)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w2 = _mm_sha256msg1_epu32(w2, w3)
                // Rounds 32-35.
                msg = _mm_add_epi32(w0, k[8])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w1 = _mm_sha256msg2_epu32(_mm_add_epi32(w1, alignr4(w0, w3)), w0)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w3 = _mm_sha256msg1_epu32(w3, w0)
                // Rounds 36-39.
                msg = _mm_add_epi32(w1, k[9])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w2 = _mm_sha256msg2_epu32(_mm_add_epi32(w2, alignr4(w1, w0)), w1)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w0 = _mm_sha256msg1_epu32(w0, w1)
                // Rounds 40-43.
                msg = _mm_add_epi32(w2, k[10])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w3 = _mm_sha256msg2_epu32(_mm_add_epi32(w3, alignr4(w2, w1)), w2)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w1 = _mm_sha256msg1_epu32(w1, w2)
                // Rounds 44-47.
                msg = _mm_add_epi32(w3, k[11])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w0 = _mm_sha256msg2_epu32(_mm_add_epi32(w0, alignr4(w3, w2)), w3)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w2 = _mm_sha256msg1_epu32(w2, w3)
                // Rounds 48-51.
                msg = _mm_add_epi32(w0, k[12])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w1 = _mm_sha256msg2_epu32(_mm_add_epi32(w1, alignr4(w0, w3)), w0)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                w3 = _mm_sha256msg1_epu32(w3, w0)
                // Rounds 52-55.
                msg = _mm_add_epi32(w1, k[13])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w2 = _mm_sha256msg2_epu32(_mm_add_epi32(w2, alignr4(w1, w0)), w1)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                // Rounds 56-59.
                msg = _mm_add_epi32(w2, k[14])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                w3 = _mm_sha256msg2_epu32(_mm_add_epi32(w3, alignr4(w2, w1)), w2)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
                // Rounds 60-63.
                msg = _mm_add_epi32(w3, k[15])
                s1 = _mm_sha256rnds2_epu32(s1, s0, msg)
                s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_unpackhi_epi64(msg, msg))
            }
            state0 = _mm_add_epi32(s0, state0)
            state1 = _mm_add_epi32(s1, state1)
        }
    }
    #endif
}
