import Foundation
import Projections
import Synchronization

/// The latest `ReadModel` the follow service built, shared with every request without locks
/// held while it is used (a request takes the value and works on its copy).
public final class LiveReadModel: Sendable {
    private let current = Mutex<ReadModel?>(nil)
    private let applied = PositionWaiters()

    public init() {}

    public var model: ReadModel? { current.withLock { $0 } }
    public var position: UInt64 { current.withLock { $0?.position ?? 0 } }

    public func publish(_ m: ReadModel) {
        current.withLock { $0 = m }
        applied.advance(to: m.position)
    }

    /// Returns once the model has applied `position`, or after `timeout` seconds (false).
    public func wait(until position: UInt64, timeout: Double) async -> Bool {
        await applied.wait(until: position, timeout: timeout)
    }
}
