import Foundation
import Synchronization

/// Tasks waiting for a log position to be reached (the read model applied it, the feed hub
/// holds it), woken together when it is, or after their timeout.
final class PositionWaiters: Sendable {
    private struct State {
        var reached: UInt64 = 0
        var waiting: [UInt64: (position: UInt64, continuation: CheckedContinuation<Bool, Never>)] = [:]
        var nextId: UInt64 = 0
    }
    private let state = Mutex(State())

    var reached: UInt64 { state.withLock { $0.reached } }

    func advance(to position: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.reached = max(s.reached, position)
            let done = s.waiting.filter { $0.value.position <= s.reached }
            for k in done.keys { s.waiting.removeValue(forKey: k) }
            return done.values.map(\.continuation)
        }
        for c in ready { c.resume(returning: true) }
    }

    /// True once `position` is reached; false after `timeout` seconds (or on cancellation).
    func wait(until position: UInt64, timeout: Double) async -> Bool {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1e9))
            self.expire(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.reached >= position { return true }
                    s.waiting[id] = (position, c)
                    return false
                }
                if now { c.resume(returning: true) }
            }
        } onCancel: {
            self.expire(id)
        }
    }

    private func expire(_ id: UInt64) {
        let c = state.withLock { $0.waiting.removeValue(forKey: id)?.continuation }
        c?.resume(returning: false)
    }
}
