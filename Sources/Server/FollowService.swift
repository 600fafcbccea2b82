import Domain
import EventLog
import Foundation
import Logging
import Metrics
import Projections
import ServiceLifecycle

/// The projection workers as one long-running service: restores every projection from its
/// snapshot, catches up, then follows the log, reading each page once and handing it to every
/// projection. With `publishes` (role `all` or `workers`) it appends alert transitions into the
/// log and saves snapshots; without (role `api`) it only keeps the read model current. A
/// failing step is logged and retried; a graceful shutdown saves the snapshots.
public final class FollowService: Service, @unchecked Sendable {
    // @unchecked: the projection set is driven by `run()` alone.
    let set: ProjectionSet
    let live: LiveReadModel
    let publishes: Bool
    let logger: Logger
    /// The feed fan-out, handed each page read here so the log is read once for both.
    public var hub: FeedHub?
    /// Snapshot after this many events or this many seconds, whichever comes first.
    public var snapshotEvents: UInt64 = 100_000
    public var snapshotSeconds: Double = 60
    private var lastSnapshotPosition: UInt64 = 0
    private var lastSnapshotTime = Date()
    /// Alert transitions are appended at most this often under a steady load (each pass looks
    /// at every alert); the read model shows a firing alert at once either way.
    public var publishEvery: Double = 0.1
    private var lastPublish = Date.distantPast

    public init(set: ProjectionSet, live: LiveReadModel, publishes: Bool, logger: Logger) {
        self.set = set
        self.live = live
        self.publishes = publishes
        self.logger = logger
    }

    public func run() async throws {
        let resumed = try await set.restore()
        let head = try await set.store.headPosition()
        let from = set.position
        logger.info(
            "projections: \(resumed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value ? "resumed from snapshot" : "rebuilding")" }.joined(separator: ", ")); catching up \(head > from ? head - from : 0) events to position \(head)"
        )
        let started = Date()
        var lastReport = Date()
        try await set.catchUp { position in
            if Date().timeIntervalSince(lastReport) > 2 {
                lastReport = Date()
                logger.info("projections: catching up, position \(position) of \(head)")
            }
        }
        live.publish(set.readModel())
        for w in set.workers where w.parked.total > 0 {
            Gauge(label: "presidio_projection_parked_events", dimensions: [("projection", w.name)]).record(w.parked.total)
            logger.error("projections: \(w.name) has \(w.parked.total) parked events (could not be applied; see `presidio projections status`)")
        }
        logger.info(
            "projections caught up at position \(set.position) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; \(set.readModel().allAlerts.filter { $0.state == .firing }.count) alerts firing"
        )
        lastSnapshotPosition = from
        if publishes {
            try await publishAlerts()
            if set.position > from { try await saveSnapshots() }
        }
        await cancelWhenGracefulShutdown {
            await self.follow()
        }
        if publishes {
            do {
                try await set.catchUp()
                try await publishAlerts()
                try await saveSnapshots()
                logger.info("projections: snapshots saved at position \(set.position)")
            } catch {
                logger.error("projections: could not save snapshots on shutdown: \(error)")
            }
        }
    }

    private func follow() async {
        var backoff: UInt64 = 100_000_000
        while !Task.isCancelled {
            do {
                if needsPublish {
                    // Publish the deferred transitions when the log goes quiet for a moment.
                    let appended = try await set.store.waitForAppend(after: set.position, seconds: publishEvery)
                    if !appended {
                        try await publishAlerts()
                        continue
                    }
                } else {
                    try await set.store.waitForAppend(after: set.position)
                }
                try await step()
                backoff = 100_000_000
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.error("projections: \(error); retrying in \(backoff / 1_000_000) ms")
                try? await Task.sleep(nanoseconds: backoff)
                backoff = min(backoff * 2, 10_000_000_000)
            }
        }
    }

    /// Applies what the log holds beyond the model, publishes the new model, and (workers)
    /// appends the alert transitions it caused.
    func step() async throws {
        while true {
            let page = try await set.store.read(from: set.position + 1, limit: 4096)
            if page.isEmpty { break }
            for w in set.workers {
                let before = w.parked.total
                w.apply(page: page)
                if w.parked.total > before { logParked(w, since: before) }
            }
            hub?.offer(page)
            let transitions = page.filter { $0.category == "alert" }
            if transitions.count <= 20 {
                for e in transitions { logTransition(e) }
            } else {
                let byType = Dictionary(grouping: transitions, by: \.type).mapValues(\.count).sorted { $0.key < $1.key }
                logger.info(
                    "\(transitions.count) alert events up to position \(page.last!.position): \(byType.map { "\($0.value) \($0.key)" }.joined(separator: ", "))"
                )
            }
            live.publish(set.readModel())
            if page.count < 4096 { break }
        }
        Gauge(label: "presidio_projection_position").record(Int64(set.position))
        if publishes {
            if Date().timeIntervalSince(lastPublish) >= publishEvery {
                try await publishAlerts()
            } else {
                needsPublish = true
            }
            if set.position - lastSnapshotPosition >= snapshotEvents || Date().timeIntervalSince(lastSnapshotTime) >= snapshotSeconds {
                try await saveSnapshots()
            }
        }
    }

    private var needsPublish = false

    private func publishAlerts() async throws {
        lastPublish = Date()
        needsPublish = false
        for w in set.workers { try await w.publishAlertsWithoutRefresh() }
    }

    private func saveSnapshots() async throws {
        try await set.saveSnapshots()
        lastSnapshotPosition = set.position
        lastSnapshotTime = Date()
    }

    /// Parked events are logged as errors: the projection went on without them, an operator
    /// must look (`presidio projections status` lists them).
    private func logParked(_ w: any ProjectionWorker, since before: Int) {
        let p = w.parked
        Gauge(label: "presidio_projection_parked_events", dimensions: [("projection", w.name)]).record(p.total)
        // The kept list only grows (up to ParkedEvents.keep): what lies past `before` is new.
        let new = before < p.events.count ? p.events[before...] : []
        for e in new.prefix(20) {
            logger.error("projections: \(w.name) parked event \(e.position) (\(e.type) v\(e.schemaVersion) on \(e.stream)): \(e.reason)")
        }
        if p.total - before > new.prefix(20).count {
            logger.error("projections: \(w.name) parked \(p.total - before) events up to position \(w.position); \(p.total) in all")
        }
    }

    private func logTransition(_ e: RecordedEvent) {
        guard let decoded = try? Catalog.decode(e) else { return }
        switch decoded {
        case let r as AlertRaised:
            logger.info(
                "alert raised: \(r.alertId) \(r.severity.rawValue) on \(r.asset): \(r.evidence.prefix(160))", metadata: ["position": "\(e.position)"])
        case let r as AlertResolved:
            logger.info("alert resolved: \(r.alertId) by \(e.actor): \(r.reason.prefix(160))", metadata: ["position": "\(e.position)"])
        case let r as AlertEscalated:
            logger.info("alert escalated: \(r.alertId) to \(r.severity.rawValue): \(r.reason.prefix(160))", metadata: ["position": "\(e.position)"])
        case let r as AlertAcknowledged:
            logger.info("alert acknowledged: \(r.alertId) by \(e.actor)", metadata: ["position": "\(e.position)"])
        case let r as AlertReopened:
            logger.info("alert reopened: \(r.alertId) by \(e.actor)", metadata: ["position": "\(e.position)"])
        default: break
        }
    }
}
