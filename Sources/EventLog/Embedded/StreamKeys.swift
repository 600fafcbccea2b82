import Foundation

/// The stream names of one append as UTF-8 bytes with their hashes, made by the appending task
/// (in parallel, while it validates) so the single writer never touches a `String` to find a
/// stream: getting the bytes of a Swift string and hashing them cost ~40 ns, and the writer did
/// it three times per event (lookup, plan, index).
final class StreamKeys: @unchecked Sendable {
    // @unchecked: each slot is filled by one piece of `Parallel.perform` before the keys are
    // shared; afterwards they are read-only.
    private let bytes: UnsafeMutableRawBufferPointer
    private let offsets: [Int]
    private let hashes: UnsafeMutableBufferPointer<UInt64>

    /// Room for the names of `events`; each slot is filled by `fill`.
    init(_ events: [ProposedEvent]) {
        var offsets = [Int]()
        offsets.reserveCapacity(events.count + 1)
        var total = 0
        offsets.append(0)
        for i in events.indices {
            total += events[i].stream.utf8.count
            offsets.append(total)
        }
        self.offsets = offsets
        bytes = .allocate(byteCount: max(total, 1), alignment: 8)
        hashes = .allocate(capacity: max(events.count, 1))
    }

    deinit {
        bytes.deallocate()
        hashes.deallocate()
    }

    var count: Int { offsets.count - 1 }

    /// Stores the name of event `i`.
    func fill(_ i: Int, _ name: UnsafeRawBufferPointer) {
        let start = offsets[i]
        precondition(name.count == offsets[i + 1] - start)
        if !name.isEmpty { (bytes.baseAddress! + start).copyMemory(from: name.baseAddress!, byteCount: name.count) }
        hashes[i] = FastHash.bytes(name)
    }

    func key(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes.baseAddress! + offsets[i], count: offsets[i + 1] - offsets[i])
    }

    func hash(_ i: Int) -> UInt64 { hashes[i] }
}
