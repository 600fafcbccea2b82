import Foundation
import Projections
import Synchronization

/// The latest `ReadModel` the follow service built, shared with every request without locks
/// held while it is used (a request takes the value and works on its copy).
public final class LiveReadModel: Sendable {
    private let current = Mutex<ReadModel?>(nil)
    private let applied = PositionWaiters()

    public init() {}

    /// The current model's alerts sorted by their `GET /v1/alerts` cursor key, made once per
    /// published model on first use (sorting every alert on every request made the list the
    /// slowest read of the API).
    private let sortedAlerts = Mutex<(position: UInt64, rows: [(key: String, alert: AlertRecord)])?>(nil)

    public var model: ReadModel? { current.withLock { $0 } }

    /// `model`'s alerts with their keys, in key order.
    func alertsByKey(_ model: ReadModel, key: (AlertRecord) -> String) -> [(key: String, alert: AlertRecord)] {
        if let cached = sortedAlerts.withLock({ $0 }), cached.position == model.position { return cached.rows }
        let rows = model.allAlerts.map { (key: key($0), alert: $0) }.sorted { $0.key < $1.key }
        sortedAlerts.withLock { $0 = (model.position, rows) }
        return rows
    }
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
