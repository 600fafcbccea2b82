import CKernels

/// CRC-32C (Castagnoli), the checksum of records, blocks and footers.
///
/// With the CPU's CRC-32C instruction when it has one (SSE 4.2 on x86-64, the ARMv8 CRC
/// extension on arm64; `CKernels`, checked once at run time), else slicing-by-8 in plain Swift
/// (several times slower; the table version showed in append and verify profiles, benchmark
/// notes: "CRC-32C"). Both paths give the same bytes (tested).
package enum CRC32C {
    private static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()
    private static let flat: [UInt32] = tables.flatMap { $0 }

    /// Whether the CPU's CRC-32C instruction is used.
    public static let hardwareAvailable = presidio_crc32c_hw_available() != 0

    public static func checksum(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        hardwareAvailable ? hardware(buffer, seed: seed) : software(buffer, seed: seed)
    }

    static func hardware(_ buffer: UnsafeRawBufferPointer, seed: UInt32) -> UInt32 {
        guard let base = buffer.baseAddress else { return seed }
        return presidio_crc32c_hw(seed, base, buffer.count)
    }

    static func software(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        guard let base = buffer.baseAddress else { return seed }
        flat.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            var i = 0
            let n = buffer.count
            while i + 8 <= n {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let x = UInt32(truncatingIfNeeded: word) ^ crc
                let hi = UInt32(truncatingIfNeeded: word >> 32)
                crc =
                    t[1792 + Int(x & 0xFF)] ^ t[1536 + Int((x >> 8) & 0xFF)]
                    ^ t[1280 + Int((x >> 16) & 0xFF)] ^ t[1024 + Int(x >> 24)]
                    ^ t[768 + Int(hi & 0xFF)] ^ t[512 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i &+= 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i &+= 1
            }
        }
        return ~crc
    }

    public static func checksum<C: ContiguousBytes>(_ bytes: C, seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }
}

import Foundation
