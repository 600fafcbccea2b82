import Domain
import EventLog
import Foundation
import Logging
import Projections
import Synchronization

/// Which parts a `presidio serve` process runs.
public enum ServeRole: String, Sendable, CaseIterable {
    /// API and projection workers (the default, and the only choice on the embedded store).
    case all
    /// API only: follows the log for its read model, never publishes alerts or saves snapshots.
    case api
    /// Projection workers only (alerts, snapshots); serves /healthz, /readyz and /metrics.
    case workers

    var servesAPI: Bool { self != .workers }
    var publishes: Bool { self != .api }
}

/// Everything the routes need, made once by `PresidioServer`.
public struct APIEnvironment: Sendable {
    public var store: any EventStore
    public var live: LiveReadModel
    public var tokens: TokenRegistry
    public var state: any ServerStateStore
    public var rulesDirectory: String
    public var role: ServeRole
    /// `/readyz` fails while the read model is further behind the head than this.
    public var readyLag: UInt64 = 10_000
    public var shutdown: ShutdownFlag
    public var metrics: APIMetrics
    public var logger: Logger
    /// Validation facts of recently touched assets (streams only grow, so they stay true).
    public var facts = AssetFactsCache()
    /// The live-feed fan-out (nil: feeds read the store).
    public var hub: FeedHub?

    public init(
        store: any EventStore, live: LiveReadModel, tokens: TokenRegistry, state: any ServerStateStore, rulesDirectory: String, role: ServeRole,
        shutdown: ShutdownFlag = ShutdownFlag(), metrics: APIMetrics = APIMetrics(), logger: Logger
    ) {
        self.store = store
        self.live = live
        self.tokens = tokens
        self.state = state
        self.rulesDirectory = rulesDirectory
        self.role = role
        self.shutdown = shutdown
        self.metrics = metrics
        self.logger = logger
    }
}

/// Set when a graceful shutdown starts: long-lived responses (live feeds) end cleanly so the
/// server can finish its in-flight requests and stop.
public final class ShutdownFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
}
