import Foundation

/// A queue in front of one thread that takes everything queued since it last looked and
/// handles it as one group.
///
/// In front of a store's writer this is group commit: appenders `submit`, and under load many
/// appends share one fsync (embedded) or one transaction (PostgreSQL). The embedded store's
/// sync stage is a second one: commits written while an `fdatasync` runs share the next.
/// `maxQueued` bounds what waits (a writer running ahead of the disk blocks in `submit`).
package final class GroupCommitQueue<Request: Sendable>: @unchecked Sendable {
    // @unchecked: `queue`, `busy` and `stopping` are only touched under `condition`.
    private let condition = NSCondition()
    private var queue: [Request] = []
    private var busy = false
    private var stopping = false
    private var started = false
    private let maxQueued: Int
    private let done = DispatchSemaphore(value: 0)

    public init(maxQueued: Int = .max) { self.maxQueued = maxQueued }

    /// Starts the thread; `handle` gets every request queued since its last call, in order.
    public func start(name: String, handle: @escaping @Sendable ([Request]) -> Void) {
        started = true
        let thread = Thread { [self] in
            while let taken = take() {
                handle(taken)
                condition.lock()
                busy = false
                condition.broadcast()
                condition.unlock()
            }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Starts a writer thread. Requests for which `isSolo` is true (verbatim copies) are
    /// committed on their own, in arrival order relative to the groups around them; `group` and
    /// `solo` run on the thread, never concurrently.
    public func start(
        name: String, isSolo: @escaping @Sendable (Request) -> Bool, group: @escaping @Sendable ([Request]) -> Void,
        solo: @escaping @Sendable (Request) -> Void
    ) {
        start(name: name) { taken in
            var rest = taken[...]
            while let first = rest.first {
                if isSolo(first) {
                    solo(first)
                    rest = rest.dropFirst()
                } else {
                    let n = rest.firstIndex(where: isSolo) ?? rest.endIndex
                    group(Array(rest[..<n]))
                    rest = rest[n...]
                }
            }
        }
    }

    /// Queues a request (waiting while `maxQueued` are queued); false once the queue is
    /// stopping (the caller then fails or handles the request itself).
    public func submit(_ request: Request) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= maxQueued && !stopping { condition.wait() }
        if stopping { return false }
        queue.append(request)
        condition.broadcast()
        return true
    }

    /// Whether requests are waiting for the thread's next group.
    public var hasPending: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !queue.isEmpty
    }

    /// Nothing queued and nothing being handled.
    public var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return queue.isEmpty && !busy
    }

    /// Returns once every submitted request has been handled.
    public func drain() {
        condition.lock()
        defer { condition.unlock() }
        while !queue.isEmpty || busy { condition.wait() }
    }

    /// Lets the thread finish what is queued, then waits for it to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        if started { done.wait() }
    }

    private func take() -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        if queue.isEmpty { return nil }
        busy = true
        defer {
            queue.removeAll(keepingCapacity: true)
            condition.broadcast()
        }
        return queue
    }
}
