import Foundation

/// The second stage of the embedded writer: a thread that makes written commits durable.
///
/// The writer encodes and `pwrite`s commit k+1 while this thread `fdatasync`s commit k, so a
/// sync (0.2–4 ms on these disks) no longer stops the CPU work behind it. Jobs submitted while
/// a sync runs are taken together and share the next sync: a second level of group commit.
/// `submit` blocks once `maxQueued` jobs wait, which bounds the memory held by a writer that
/// runs ahead of the disk.
final class SyncStage<Job: Sendable>: @unchecked Sendable {
    // @unchecked: `jobs`, `busy` and `stopping` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var busy = false
    private var stopping = false
    private var started = false
    private let maxQueued: Int
    private let done = DispatchSemaphore(value: 0)

    init(maxQueued: Int = 8) { self.maxQueued = maxQueued }

    /// Starts the thread; `handle` gets every job queued since its last call, in order.
    func start(name: String, handle: @escaping @Sendable ([Job]) -> Void) {
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

    func submit(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        while jobs.count >= maxQueued { condition.wait() }
        jobs.append(job)
        condition.broadcast()
    }

    /// Nothing queued and nothing being handled.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return jobs.isEmpty && !busy
    }

    /// Returns once every submitted job has been handled.
    func drain() {
        condition.lock()
        defer { condition.unlock() }
        while !jobs.isEmpty || busy { condition.wait() }
    }

    /// Handles what is queued, then ends the thread.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        if started { done.wait() }
    }

    private func take() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !stopping { condition.wait() }
        if jobs.isEmpty { return nil }
        busy = true
        defer {
            jobs.removeAll(keepingCapacity: true)
            condition.broadcast()
        }
        return jobs
    }
}
