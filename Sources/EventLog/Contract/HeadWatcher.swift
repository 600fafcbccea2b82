import Foundation
import Synchronization

/// Wakes tasks waiting for the log's head to pass a position.
///
/// Stores call `publish` after an append is durable; subscriptions call `wait`. Waiting is
/// cancellation-aware so a cancelled subscriber never leaks a continuation.
package final class HeadWatcher: Sendable {
    private struct Waiter {
        let after: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var head: UInt64
        var nextId = 0
        var waiters: [Int: Waiter] = [:]
        var closed = false
    }
    private let state: Mutex<State>

    public init(head: UInt64) { state = Mutex(State(head: head)) }

    public var head: UInt64 { state.withLock { $0.head } }

    /// Records a new head and resumes every waiter it satisfies.
    public func publish(_ head: UInt64) {
        let ready: [CheckedContinuation<Void, any Error>] = state.withLock { s in
            if head > s.head { s.head = head }
            let due = s.waiters.filter { $0.value.after < s.head }
            for k in due.keys { s.waiters[k] = nil }
            return due.map(\.value.continuation)
        }
        for c in ready { c.resume() }
    }

    /// Fails every waiter (the store is closing).
    public func close() {
        let all = state.withLock { s in
            s.closed = true
            defer { s.waiters = [:] }
            return s.waiters.values.map(\.continuation)
        }
        for c in all { c.resume(throwing: EventStoreError(.closed, "the store was closed")) }
    }

    /// Returns when head > `position`.
    public func wait(after position: UInt64) async throws {
        let id = state.withLock { s -> Int in
            s.nextId += 1
            return s.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                enum Outcome { case ready, waiting, closed, cancelled }
                let outcome = state.withLock { s -> Outcome in
                    if s.closed { return .closed }
                    if s.head > position { return .ready }
                    if Task.isCancelled { return .cancelled }
                    s.waiters[id] = Waiter(after: position, continuation: c)
                    return .waiting
                }
                switch outcome {
                case .ready: c.resume()
                case .waiting: break
                case .closed: c.resume(throwing: EventStoreError(.closed, "the store was closed"))
                case .cancelled: c.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let c = state.withLock { s in s.waiters.removeValue(forKey: id) }
            c?.continuation.resume(throwing: CancellationError())
        }
    }
}
