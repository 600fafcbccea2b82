internal import CLZ4
import Foundation

/// LZ4 block compression. The C types stay inside this file; callers see `Data` only.
///
/// Block-API data does not carry its own length, so every caller stores the uncompressed
/// length beside the compressed bytes (the segment block header does).
package enum LZ4 {
    /// Compresses `input`; returns nil when compression would not make it smaller, so the
    /// caller can store the bytes raw instead.
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var written: Int?
        // Uninitialized output: zero-filling a fresh buffer per block showed in profiles.
        let out = [UInt8](unsafeUninitializedCapacity: compressBound(input.count)) { dst, count in
            written = compress(input, into: UnsafeMutableRawBufferPointer(dst))
            count = written ?? 0
        }
        return written == nil ? nil : out
    }

    static func compressBound(_ count: Int) -> Int { Int(LZ4_compressBound(Int32(min(count, Int(LZ4_MAX_INPUT_SIZE))))) }

    /// Compresses `input` into `output` (at least `compressBound(input.count)` bytes); the
    /// compressed length, or nil when compression would not make it smaller.
    static func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard !input.isEmpty, input.count < Int(LZ4_MAX_INPUT_SIZE) else { return nil }
        let written = LZ4_compress_default(
            input.baseAddress!.assumingMemoryBound(to: CChar.self), output.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(min(output.count, Int(Int32.max))))
        guard written > 0, Int(written) < input.count else { return nil }
        return Int(written)
    }

    public static func compress(_ input: Data) -> Data? {
        input.withUnsafeBytes { compress($0) }.map { Data($0) }
    }

    /// Decompresses a block whose original length is known. Returns nil on malformed input
    /// (LZ4_decompress_safe never reads or writes out of bounds).
    public static func decompress(_ input: UnsafeRawBufferPointer, originalLength: Int) -> [UInt8]? {
        guard originalLength >= 0, originalLength < Int(LZ4_MAX_INPUT_SIZE) * 2 else { return nil }
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: originalLength) { dst, count in
            ok = decompress(input, into: UnsafeMutableRawBufferPointer(dst), originalLength: originalLength)
            // Only a complete decompression counts; otherwise report nothing initialized.
            count = ok ? originalLength : 0
        }
        return ok ? out : nil
    }

    /// Decompresses into `output` (at least `originalLength` bytes); false on malformed input.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, originalLength: Int) -> Bool {
        if originalLength == 0 { return true }
        guard originalLength > 0, originalLength <= output.count else { return false }
        let n = LZ4_decompress_safe(
            input.baseAddress?.assumingMemoryBound(to: CChar.self), output.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(originalLength))
        return n == Int32(originalLength)
    }

    public static func decompress(_ input: Data, originalLength: Int) -> Data? {
        input.withUnsafeBytes { decompress($0, originalLength: originalLength) }.map { Data($0) }
    }

    public static var versionString: String { String(cString: LZ4_versionString()) }
}
