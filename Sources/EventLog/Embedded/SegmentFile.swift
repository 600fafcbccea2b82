#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file descriptor that closes itself. `pread`/`pwrite` are safe from many threads at once,
/// which is what lets readers share a segment with the writer without a lock.
final class SegmentFile: @unchecked Sendable {
    // @unchecked: `fd` is immutable after init and POSIX positional I/O is thread-safe.
    let fd: Int32
    let path: String

    init(path: String, writable: Bool, create: Bool = false) throws {
        var flags = writable ? O_RDWR : O_RDONLY
        if create { flags |= O_CREAT | O_EXCL }
        flags |= O_CLOEXEC
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw SegmentFile.error("open", path) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    var size: UInt64 {
        get throws {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw SegmentFile.error("fstat", path) }
            return UInt64(st.st_size)
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer only at end of file).
    /// The buffer is not zero-filled first: pread fills it (a 1 MiB memset per read window
    /// showed in audit profiles).
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var failure: EventStoreError?
        let buf = [UInt8](unsafeUninitializedCapacity: count) { p, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, p.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = SegmentFile.error("pread", path)
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if let failure { throw failure }
        return buf
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func write(_ p: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < p.count {
            let n = pwrite(fd, p.baseAddress! + done, p.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SegmentFile.error("pwrite", path)
            }
            done += n
        }
    }

    /// One MiB of zeros, shared (never written after it is made).
    nonisolated(unsafe) private static let zeros: UnsafeRawBufferPointer = {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        b.initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(b)
    }()

    /// Writes zeros over `[from, to)` (not synced: the next commit's sync flushes them).
    func writeZeros(from: UInt64, to: UInt64) throws {
        var at = from
        while at < to {
            let n = Int(min(UInt64(Self.zeros.count), to - at))
            try write(UnsafeRawBufferPointer(rebasing: Self.zeros[0..<n]), at: at)
            at += UInt64(n)
        }
    }

    /// The offset just past the last non-zero byte in `[from, to)`, or `from` if all are zero:
    /// where a segment's data (or a torn write) ends before its preallocated zeros.
    func endOfNonZero(from: UInt64, to: UInt64) throws -> UInt64 {
        var hi = to
        while hi > from {
            let lo = hi - min(hi - from, 1 << 20)
            let bytes = try read(at: lo, count: Int(hi - lo))
            if let k = bytes.lastIndex(where: { $0 != 0 }) { return lo + UInt64(k) + 1 }
            hi = lo
        }
        return from
    }

    /// Data durability only (the size change of an append is data for fdatasync on Linux).
    func sync() throws {
        while fdatasync(fd) != 0 {
            if errno == EINTR { continue }
            throw SegmentFile.error("fdatasync", path)
        }
    }

    func truncate(to size: UInt64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw SegmentFile.error("ftruncate", path) }
    }

    static func error(_ call: String, _ path: String) -> EventStoreError {
        EventStoreError(.io, "\(call) \(path): \(String(cString: strerror(errno)))")
    }

    /// fsync a directory so a created or renamed entry survives power loss.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error("open dir", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw error("fsync dir", path) }
    }

    /// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp"
        unlink(tmp)
        let f = try SegmentFile(path: tmp, writable: true, create: true)
        try f.write(bytes, at: 0)
        try f.sync()
        guard rename(tmp, path) == 0 else { throw error("rename", tmp) }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }
}

/// An exclusive `flock` on the data folder, so two processes never write one log.
final class DirectoryLock: @unchecked Sendable {
    // @unchecked: the fd is only changed by `release()`, which the owner calls once, on close.
    private var fd: Int32

    init(directory: String) throws {
        let path = directory + "/LOCK"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SegmentFile.error("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw EventStoreError(
                .locked, "data folder \(directory) is in use by another presidio process (open it read-only, or stop that process)")
        }
    }

    /// Whether a writer holds the folder now (a read-only audit beside a running server then
    /// sees its commit in progress, not a torn tail). Opens the lock file read-only: nothing is created.
    static func isHeld(directory: String) -> Bool {
        let fd = open(directory + "/LOCK", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0 { return true }
        flock(fd, LOCK_UN)
        return false
    }

    /// Releases the lock; the store calls it on close so the folder can be reopened at once.
    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
