import Foundation
import Metrics
import Prometheus
import Synchronization

/// Prometheus text through swift-metrics: the process bootstraps the metrics system once
/// (the first server made); every metric recorded through swift-metrics lands in `registry`.
public final class APIMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    public init() {
        registry = Self.bootstrapped.withLock { r in
            if let r { return r }
            let made = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: made))
            r = made
            return made
        }
    }

    public func text() -> [UInt8] { registry.emitToBuffer() }
}
