import Foundation

/// Extends the hash chain one record at a time while computing the payload digest of the next
/// record alongside: hash(n) = SHA-256(hash(n-1) ‖ header(n) ‖ SHA-256(payload(n))) is serial,
/// but the digest of payload n+1 does not depend on it, so the two go through
/// `FastSHA256.hashPair` together and the CPU overlaps them. The chain then costs little more
/// than on its own, and payload digests come almost free (writer and auditor alike).
final class ChainHasher {
    /// hash(n-1) ‖ header(n) ‖ digest(n), contiguous for `hashPair`.
    private var scratch: UnsafeMutableRawBufferPointer

    init() { scratch = .allocate(byteCount: 1024, alignment: 16) }

    deinit { scratch.deallocate() }

    /// hash(n), and SHA-256 of `next` (the payload of record n+1) when given.
    func step(
        previous: Digest32, header: UnsafeRawBufferPointer, payloadDigest: Digest32, next: UnsafeRawBufferPointer?
    ) -> (hash: Digest32, nextDigest: Digest32?) {
        let need = 64 + header.count
        if scratch.count < need {
            scratch.deallocate()
            scratch = .allocate(byteCount: need * 2, alignment: 16)
        }
        let p = scratch.baseAddress!
        p.storeBytes(of: previous, as: Digest32.self)
        if header.count > 0 { (p + 32).copyMemory(from: header.baseAddress!, byteCount: header.count) }
        p.storeBytes(of: payloadDigest, toByteOffset: 32 + header.count, as: Digest32.self)
        let message = UnsafeRawBufferPointer(start: p, count: need)
        guard let next else { return (FastSHA256.hash(message), nil) }
        let (hash, nextDigest) = FastSHA256.hashPair(message, next)
        return (hash, nextDigest)
    }
}
