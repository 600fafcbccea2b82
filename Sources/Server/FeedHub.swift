import EventLog
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The feed fan-out: one task follows the log for every live feed and keeps the newest events
/// in memory, so a hundred consumers following the head cost one read of each page, not a
/// hundred. Consumers further back read the store directly until they reach the window.
public final class FeedHub: Service, Sendable {
    let store: any EventStore
    let capacity: Int
    let logger: Logger
    private struct Window {
        var events: [RecordedEvent] = []
        /// Position of `events[0]`; the window is `first ..< first + events.count`.
        var first: UInt64 = 1
    }
    private let window = Mutex(Window())
    private let held = PositionWaiters()
    private let started = Atomic<Bool>(false)

    public init(store: any EventStore, capacity: Int = 20_000, logger: Logger) {
        self.store = store
        self.capacity = capacity
        self.logger = logger
    }

    /// Takes a page another reader (the follow service) already read, so the log is read once
    /// for both; pages that do not continue the window are ignored (the hub reads those itself).
    public func offer(_ page: [RecordedEvent]) {
        guard let firstPosition = page.first?.position else { return }
        let advanced = window.withLock { w -> UInt64? in
            let end = w.first + UInt64(w.events.count)
            guard firstPosition <= end, let last = page.last?.position, last >= end else { return nil }
            w.events += page[Int(end - firstPosition)...]
            if w.events.count > self.capacity {
                let drop = w.events.count - self.capacity
                w.events.removeFirst(drop)
                w.first += UInt64(drop)
            }
            return last
        }
        if let advanced { held.advance(to: advanced) }
    }

    /// Whether the hub follows the log (its service runs); otherwise feeds read the store.
    public var isRunning: Bool { started.load(ordering: .relaxed) }
    /// The last position the hub holds.
    public var last: UInt64 { held.reached }

    public func run() async throws {
        let head = try await store.headPosition()
        window.withLock { $0 = Window(events: [], first: head + 1) }
        held.advance(to: head)
        started.store(true, ordering: .relaxed)
        defer { started.store(false, ordering: .relaxed) }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.store.waitForAppend(after: self.held.reached)
                    while true {
                        let page = try await self.store.read(from: self.held.reached + 1, limit: 2048)
                        if page.isEmpty { break }
                        self.offer(page)
                    }
                } catch {
                    if Task.isCancelled { return }
                    self.logger.error("feed hub: \(error); retrying")
                    try? await Task.sleep(nanoseconds: 500_000_000)
                }
            }
        }
    }

    /// Events from `position` on (at most `limit`, of `category` when given) and the last
    /// position looked at, if the window still holds `position`; nil when it is older (read
    /// the store then).
    public func events(from position: UInt64, category: String?, limit: Int) -> (events: [RecordedEvent], through: UInt64)? {
        guard isRunning else { return nil }
        return window.withLock { w -> (events: [RecordedEvent], through: UInt64)? in
            guard position >= w.first else { return nil }
            let start = Int(position - w.first)
            var through = position - 1
            var out: [RecordedEvent] = []
            if start < w.events.count {
                for e in w.events[start...] {
                    through = e.position
                    if category == nil || e.category == category! { out.append(e) }
                    if out.count >= limit { break }
                }
            }
            return (out, through)
        }
    }

    /// Waits until the hub holds a position beyond `position`, or `timeout` seconds.
    public func wait(after position: UInt64, timeout: Double) async -> Bool {
        await held.wait(until: position + 1, timeout: timeout)
    }
}
