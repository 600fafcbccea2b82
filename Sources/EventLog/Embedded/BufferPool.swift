import Foundation
import Synchronization

/// Block-sized buffers reused from one commit to the next.
///
/// A commit of 1,000 events needs a few 128 KiB raw blocks and as many frame buffers; fresh
/// allocations of that size come from new pages each time (glibc hands them to the kernel
/// on free), and their page faults and zeroing showed in the writer's profile (benchmark
/// notes: "BufferPool").
final class BufferPool: Sendable {
    static let shared = BufferPool()

    /// Buffers kept for reuse at most (a few MiB).
    private static let keep = 32
    /// Sizes are rounded up to this, so buffers fit the next commit's blocks too.
    private static let granule = 64 << 10

    private let free = Mutex<[UncheckedSendable<UnsafeMutableRawBufferPointer>]>([])

    /// A buffer of at least `size` bytes (uninitialized), to `give` back when done.
    func take(_ size: Int) -> UnsafeMutableRawBufferPointer {
        let reused = free.withLock { list -> UnsafeMutableRawBufferPointer? in
            guard let k = list.firstIndex(where: { $0.value.count >= size }) else { return nil }
            return list.remove(at: k).value
        }
        if let reused { return reused }
        let rounded = (max(size, 1) + Self.granule - 1) / Self.granule * Self.granule
        return .allocate(byteCount: rounded, alignment: 64)
    }

    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = free.withLock { list -> Bool in
            guard list.count < Self.keep else { return false }
            list.append(UncheckedSendable(buffer))
            return true
        }
        if !kept { buffer.deallocate() }
    }
}
