import EventLog
import Foundation

/// What the writer connection knows the log holds: the head it last wrote or saw under the
/// head lock, and the version of every stream it looked up or wrote since.
///
/// It is only a guess about the database, never trusted for a decision that cannot be
/// checked: the optimistic append moves the head only if it is still at `head`, and while it
/// is, nothing else has been appended, so the versions here are exact. Only the writer
/// thread touches it.
struct WriterCache {
    var valid = false
    var head: UInt64 = 0
    var hash = Data()
    /// nil: the stream is known not to exist; absent: unknown.
    var versions: [String: UInt64?] = [:]
    /// Past this many streams the cache starts over (from the next locked append).
    static let maxStreams = 200_000

    mutating func invalidate() {
        valid = false
        versions.removeAll(keepingCapacity: true)
    }

    /// What the locked path saw under the head lock. Versions cached before are kept only if
    /// nobody else appended since (the head is where this cache left it).
    mutating func reset(head: UInt64, hash: Data) {
        if !valid || self.head != head || self.hash != hash || versions.count > Self.maxStreams { versions.removeAll() }
        valid = true
        self.head = head
        self.hash = hash
    }

    mutating func advance(rows: [RecordedEvent], hash: Data) {
        for e in rows { versions[e.stream] = .some(e.version) }
        if let last = rows.last { head = last.position }
        self.hash = hash
    }
}
