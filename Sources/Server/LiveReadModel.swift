import Foundation
import Projections
import Synchronization

/// The latest `ReadModel` the follow service built, shared with every request without locks
/// held while it is used (a request takes the value and works on its copy).
public final class LiveReadModel: Sendable {
    private let current = Mutex<ReadModel?>(nil)
    private let waiters = Mutex<[(position: UInt64, continuation: CheckedContinuation<Void, Never>)]>([])
    /// The log's head when the model was last published (for lag and readiness).
    private let headSeen = Mutex<UInt64>(0)

    public init() {}

    public var model: ReadModel? { current.withLock { $0 } }
    public var position: UInt64 { current.withLock { $0?.position ?? 0 } }
    public var head: UInt64 { headSeen.withLock { $0 } }

    public func publish(_ m: ReadModel, head: UInt64) {
        current.withLock { $0 = m }
        headSeen.withLock { $0 = max($0, head) }
        let ready = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            let done = w.filter { $0.position <= m.position }.map(\.continuation)
            w.removeAll { $0.position <= m.position }
            return done
        }
        for c in ready { c.resume() }
    }

    public func noteHead(_ head: UInt64) { headSeen.withLock { $0 = max($0, head) } }

    /// Returns once the model has applied `position`, or after `timeout` seconds (false).
    public func wait(until position: UInt64, timeout: Double) async -> Bool {
        if self.position >= position { return true }
        return await withTaskGroup(of: Bool.self) { g in
            g.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.current.withLock { ($0?.position ?? 0) >= position }
                    if now { c.resume() } else { self.waiters.withLock { $0.append((position, c)) } }
                }
                return true
            }
            g.addTask {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                return false
            }
            let first = await g.next() ?? false
            if !first {
                // Wake our waiter so the group can finish.
                let mine = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
                    let out = w.filter { $0.position == position }.map(\.continuation)
                    w.removeAll { $0.position == position }
                    return out
                }
                for c in mine { c.resume() }
            }
            g.cancelAll()
            return first
        }
    }
}
