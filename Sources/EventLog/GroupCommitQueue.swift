import Foundation

/// The queue in front of a store's single writer thread: appenders `submit`, the writer takes
/// everything queued since its last commit and hands it over as one group. That is group
/// commit: under load, many appends share one fsync (embedded) or one transaction (PostgreSQL).
///
/// Requests for which `isSolo` is true (verbatim copies) are committed on their own, in
/// arrival order relative to the groups around them.
public final class GroupCommitQueue<Request: Sendable>: @unchecked Sendable {
    // @unchecked: `queue` and `stopping` are only touched under `condition`.
    private let condition = NSCondition()
    private var queue: [Request] = []
    private var stopping = false
    private var started = false
    private let done = DispatchSemaphore(value: 0)

    public init() {}

    /// Starts the writer thread. `group` and `solo` run on it, never concurrently.
    public func start(
        name: String, isSolo: @escaping @Sendable (Request) -> Bool, group: @escaping @Sendable ([Request]) -> Void,
        solo: @escaping @Sendable (Request) -> Void
    ) {
        started = true
        let thread = Thread { [self] in
            while let taken = take() {
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
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Queues a request; false once the queue is stopping (the caller fails the request).
    public func submit(_ request: Request) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopping { return false }
        queue.append(request)
        condition.signal()
        return true
    }

    /// Whether requests are waiting for the writer's next group.
    public var hasPending: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !queue.isEmpty
    }

    /// Lets the writer finish what is queued, then waits for its thread to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if started { done.wait() }
    }

    private func take() -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        if queue.isEmpty { return nil }
        defer { queue.removeAll(keepingCapacity: true) }
        return queue
    }
}
