import Foundation
import Synchronization

/// Splits CPU work of one append across the cores with helper threads that are already
/// running.
///
/// `DispatchQueue.concurrentPerform` called from the writer or from a Swift task did not
/// get a second thread in time on these 2-core VMs: the "parallel" work ran serially
/// (benchmark notes: "Parallel").
/// Here the caller queues pieces 1…n-1, runs piece 0 itself, and then runs any piece no helper
/// has started yet: never slower than serial, and helpers spin briefly before sleeping so a
/// burst of appends finds them awake.
package final class Parallel: @unchecked Sendable {
    // @unchecked: `queue` and every piece's `state` are only touched under `condition`.
    /// Read once: on Linux `activeProcessorCount` opens cgroup and /proc files on every call,
    /// which showed as a third of the CPU time of 64 concurrent single-event appenders.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Helper threads: one less than the cores, but at most 3. A batch is split at most four
    /// ways (more pieces cost more to hand out than they save), and each idle helper spins for
    /// a while: a 64-core host must not get 63 spinning threads.
    static let helpers = min(3, max(1, cores - 1))
    /// How many pieces work is best split into.
    public static var width: Int { helpers + 1 }
    static let shared = Parallel()
    /// Below this many events (validation, parsing) or records (encoding, indexing) splitting
    /// work costs more than it saves: waking a sleeping helper is slow on these VMs.
    public static let smallEvents = 256
    public static let smallRecords = 512

    private final class Piece: @unchecked Sendable {
        let index: Int
        /// Dropped (under the lock) before the piece is marked done: `perform` hands in a
        /// non-escaping closure, which must not outlive the call.
        var body: (@Sendable (Int) -> Void)?
        /// 0 queued, 1 running, 2 done. Written under `condition`; `finished` mirrors 2 so the
        /// caller can spin on it without the lock.
        var state = 0
        let finished = Atomic<Bool>(false)
        init(index: Int, body: @escaping @Sendable (Int) -> Void) {
            self.index = index
            self.body = body
        }
    }

    private let condition = NSCondition()
    private var queue: [Piece] = []
    private let queued = Atomic<Int>(0)
    /// How long an idle helper spins before it sleeps (a burst of appends finds it awake).
    static let spin = Atomic<UInt64>(100_000)
    static var spinNanos: UInt64 { spin.load(ordering: .relaxed) }
    /// Set by the embedding program (the CLI maps `PRESIDIO_SPIN_US`); the library reads no
    /// environment variables.
    public static func setSpin(microseconds: UInt64) { spin.store(microseconds * 1000, ordering: .relaxed) }

    /// Stores that use the pool (`retain` on open, `release` on close): the helpers run only
    /// while one is open, and stop when the last one closes.
    private var users = 0
    private var running = 0
    private var stopping = false

    private init() {}

    /// Starts the helpers if they are not running (a store opened).
    public static func retain() { shared.retain() }
    /// Stops the helpers once no store uses them (the last store closed).
    public static func release() { shared.release() }

    private func retain() {
        condition.lock()
        users += 1
        stopping = false
        let missing = Self.helpers - running
        running += max(0, missing)
        condition.unlock()
        for k in 0..<max(0, missing) {
            let t = Thread { [self] in loop() }
            t.name = "presidio-helper-\(k)"
            t.start()
        }
    }

    private func release() {
        condition.lock()
        users = max(0, users - 1)
        if users == 0 {
            stopping = true
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Stores using the pool and helpers running now (tests).
    static var load: (users: Int, running: Int) {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return (shared.users, shared.running)
    }

    /// Runs `body(0) … body(n-1)`, in parallel where a helper is free, and returns when all are done.
    public static func perform(_ n: Int, _ body: @Sendable (Int) -> Void) { shared.perform(n, body) }

    /// `body(0) … body(n-1)` as `perform` runs them, their results returned in order.
    public static func map<T>(_ n: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let out = UnsafeMutableBufferPointer<T?>.allocate(capacity: n)
        out.initialize(repeating: nil)
        defer {
            out.deinitialize()
            out.deallocate()
        }
        // Each piece writes only its own slot; they are read after `perform` returns.
        let slots = UncheckedSendable(out)
        shared.perform(n) { i in slots.value[i] = body(i) }
        return out.map { $0! }
    }

    func perform(_ n: Int, _ body: @Sendable (Int) -> Void) {
        if n <= 1 {
            if n == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let pieces = (1..<n).map { Piece(index: $0, body: body) }
            condition.lock()
            if running == 0 || stopping {
                // No store open: no helpers, the caller does it all.
                condition.unlock()
                for i in 0..<n { body(i) }
                return
            }
            queue += pieces
            queued.add(pieces.count, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
            body(0)
            for p in pieces {
                // The helper is usually a few microseconds from done: spin for it, since
                // sleeping and being woken costs more than the wait on these VMs.
                let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanos
                while !p.finished.load(ordering: .acquiring) && queued.load(ordering: .relaxed) == 0 {
                    usleepless()
                    if DispatchTime.now().uptimeNanoseconds > deadline { break }
                }
                condition.lock()
                if p.state == 0, let k = queue.firstIndex(where: { $0 === p }) {
                    queue.remove(at: k)
                    queued.subtract(1, ordering: .releasing)
                    p.state = 1
                    let body = p.body!
                    condition.unlock()
                    body(p.index)
                    condition.lock()
                    p.body = nil
                    p.state = 2
                    p.finished.store(true, ordering: .releasing)
                }
                while p.state != 2 { condition.wait() }
                condition.unlock()
            }
        }
    }

    private func loop() {
        while true {
            // Spin before sleeping: appends come in bursts, and waking a halted vCPU on
            // these VMs takes longer than half a 1,000-event validation.
            let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanos
            while queued.load(ordering: .acquiring) == 0 {
                usleepless()
                if DispatchTime.now().uptimeNanoseconds > deadline { break }
            }
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                // Stopping, nothing left to do: this helper ends.
                running -= 1
                condition.unlock()
                return
            }
            let p = queue.removeFirst()
            queued.subtract(1, ordering: .releasing)
            p.state = 1
            let index = p.index
            var body = p.body
            condition.unlock()
            body?(index)
            body = nil
            condition.lock()
            p.body = nil
            p.state = 2
            p.finished.store(true, ordering: .releasing)
            condition.broadcast()
            condition.unlock()
        }
    }

    @inline(__always) private func usleepless() {
        for _ in 0..<64 { _ = queued.load(ordering: .relaxed) }
    }
}

/// Hands a buffer whose slots are written by disjoint pieces to `Parallel.perform`.
package struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
