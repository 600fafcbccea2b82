import Domain
import EventLog
import Foundation

/// A deterministic reducer over the log: same events + same rule set → the same state, byte for
/// byte (states are encoded with sorted keys and hold no wall-clock time).
public protocol Projection: Sendable {
    associatedtype State: Codable & Sendable & Equatable & AlertHolding
    var name: String { get }
    /// Bump when the reducer changes meaning: a changed code or rule-set version forces a rebuild.
    var codeVersion: Int { get }
    var ruleSet: RuleSetInfo { get }
    /// Stream categories this projection reads; others are skipped without decoding.
    var categories: Set<String> { get }
    func initialState() -> State
    /// Applies one validated event. Throws `CannotApply` (before changing `state`) when the
    /// event cannot be applied; the runner then parks it and goes on.
    func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to state: inout State) throws
}

/// What an alert looks like in a projection's state.
public struct AlertRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case firing, resolved }

    public var id: String
    public var rule: String
    public var asset: String
    public var severity: AlertSeverity
    public var state: State
    public var evidence: String
    public var ruleSet: String
    public var advisory: Bool
    public var raisedOn: String
    /// Instant of the evidence, when finer than a day (meter readings).
    public var raisedAt: String?
    public var raisedPosition: UInt64
    public var resolvedOn: String?
    public var resolvedPosition: UInt64?
    public var resolution: String?
    /// Whether the raise / resolution is already in the log as an alert event.
    public var raisePublished = false
    public var resolutionPublished = false
    /// Escalations decided by the projection (severity, day, reason, position) and how many are in the log.
    public var escalations: [Escalation] = []
    public var escalationsPublished = 0
    public var reopenedBy: String?
    public var acknowledgements: [Acknowledgement] = []

    public struct Escalation: Codable, Sendable, Equatable {
        public var severity: AlertSeverity
        public var on: String
        public var reason: String
        public var position: UInt64
    }

    public struct Acknowledgement: Codable, Sendable, Equatable {
        public var at: String
        public var by: String
        public var note: String
    }
}

/// A state that carries alerts (every projection's does, possibly none).
public protocol AlertHolding {
    var alerts: [String: AlertRecord] { get set }
    /// Events the projection could not apply (see `ParkedEvents`).
    var parked: ParkedEvents { get set }
}

extension AlertHolding {
    /// Folds the log's own alert events into the state: marks transitions as published and
    /// records human acknowledgements and resolutions.
    public mutating func applyAlertEvent(_ event: RecordedEvent, _ decoded: any DomainEvent) {
        switch decoded {
        case let r as AlertRaised:
            alerts[r.alertId]?.raisePublished = true
        case let r as AlertResolved:
            guard var a = alerts[r.alertId] else { return }
            if r.triggerPosition != nil {
                a.resolutionPublished = true
            } else if a.state == .firing {
                // A person resolved it.
                a.state = .resolved
                a.resolvedOn = r.observedAt
                a.resolvedPosition = event.position
                a.resolution = "\(r.reason) (by \(event.actor))"
                a.resolutionPublished = true
            }
            alerts[r.alertId] = a
        case let k as AlertAcknowledged:
            alerts[k.alertId]?.acknowledgements.append(.init(at: k.observedAt, by: event.actor, note: k.note))
        case let e as AlertEscalated:
            if let a = alerts[e.alertId], a.escalationsPublished < a.escalations.count { alerts[e.alertId]?.escalationsPublished += 1 }
        case let o as AlertReopened:
            guard var a = alerts[o.alertId], a.state == .resolved else { return }
            a.state = .firing
            a.resolvedOn = nil
            a.resolvedPosition = nil
            a.resolution = nil
            a.reopenedBy = "\(event.actor): \(o.reason)"
            alerts[o.alertId] = a
        default: break
        }
    }

    /// Raises (or keeps) the alert `id`; a resolved alert with the same id is not re-raised.
    public mutating func raise(
        _ id: String, rule: String, asset: String, severity: AlertSeverity, evidence: String, ruleSet: RuleSetInfo, advisory: Bool,
        on day: String, at instant: String? = nil, position: UInt64
    ) {
        // Every text fits the limits of AlertRaised, so the alert can always be published.
        let id = AlertText.id(id)
        guard alerts[id] == nil else { return }
        alerts[id] = AlertRecord(
            id: id, rule: AlertText.fit(rule, max: 120), asset: AlertText.fit(asset, max: 120), severity: severity, state: .firing,
            evidence: AlertText.fit(evidence, max: 2000), ruleSet: AlertText.fit(ruleSet.label, max: 60), advisory: advisory, raisedOn: day,
            raisedAt: instant, raisedPosition: position)
    }

    /// Raises the severity of a firing alert (published as AlertEscalated).
    public mutating func escalate(_ id: String, to severity: AlertSeverity, reason: String, on day: String, position: UInt64) {
        let id = AlertText.id(id)
        guard var a = alerts[id], a.state == .firing else { return }
        a.escalations.append(.init(severity: max(severity, a.severity), on: day, reason: AlertText.fit(reason, max: 2000), position: position))
        a.severity = max(severity, a.severity)
        alerts[id] = a
    }

    public mutating func resolve(_ id: String, reason: String, on day: String, position: UInt64) {
        let id = AlertText.id(id)
        guard var a = alerts[id], a.state == .firing else { return }
        a.state = .resolved
        a.resolvedOn = day
        a.resolvedPosition = position
        a.resolution = AlertText.fit(reason, max: 2000)
        alerts[id] = a
    }
}
