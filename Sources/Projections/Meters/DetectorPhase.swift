/// Where one detector of one meter stands in the alert lifecycle (brief §1.7: inactive →
/// pending → firing → resolving → resolved), as a value: the detector says each evaluation
/// whether its condition is breached and whether it is clear (below the re-arm level, which
/// sits under the trigger: hysteresis), and the phase says what that means for the alert.
///
/// Each detector keeps its own phase (issue 16, meters 7), so "pending for two nights" or
/// "kept firing one more day" is a named state in the snapshot, not a pair of counters.
public enum DetectorPhase: Codable, Sendable, Equatable {
    /// Nothing suspected; the detector may learn its baseline.
    case inactive
    /// The condition has held for `count` evaluations, fewer than the rule's pending length.
    case pending(count: Int)
    /// The alert `alert` fires.
    case firing(alert: String)
    /// The condition has been clear for `count` evaluations; the alert keeps firing until that
    /// exceeds the rule's keep-firing length (no flapping, no false resolution).
    case resolving(alert: String, count: Int)

    /// What one evaluation asks of the alert's owner.
    public enum Action: Equatable {
        case none
        /// Raise an alert, then call `fired(_:)` with its id.
        case raise
        /// Resolve this alert (the phase is back to inactive).
        case resolve(String)
    }

    /// The firing (or resolving) alert, if any.
    public var alert: String? {
        switch self {
        case .firing(let a), .resolving(let a, _): a
        case .inactive, .pending: nil
        }
    }

    /// Whether the detector is quiet: no alert and nothing pending, so its baseline may learn.
    public var isInactive: Bool {
        if case .inactive = self { return true }
        return false
    }

    /// One evaluation. `breach`: the trigger condition holds; `clear`: the value is back below
    /// the re-arm level (between the two, a firing alert holds and a pending one restarts).
    /// `pendingFor`: evaluations the breach must hold before the alert fires (1 = at once);
    /// `keepFiringFor`: clear evaluations the alert survives before it resolves (0 = at once).
    public mutating func step(breach: Bool, clear: Bool, pendingFor: Int, keepFiringFor: Int) -> Action {
        switch self {
        case .inactive, .pending:
            guard breach else {
                self = .inactive
                return .none
            }
            let count: Int
            if case .pending(let n) = self { count = n + 1 } else { count = 1 }
            if count >= max(1, pendingFor) { return .raise }
            self = .pending(count: count)
            return .none
        case .firing(let a):
            guard clear else { return .none }
            if keepFiringFor <= 0 {
                self = .inactive
                return .resolve(a)
            }
            self = .resolving(alert: a, count: 1)
            return .none
        case .resolving(let a, let n):
            guard clear else {
                self = .firing(alert: a)
                return .none
            }
            if n + 1 > keepFiringFor {
                self = .inactive
                return .resolve(a)
            }
            self = .resolving(alert: a, count: n + 1)
            return .none
        }
    }

    /// The alert `id` was raised: the detector fires.
    public mutating func fired(_ id: String) { self = .firing(alert: id) }

    /// Ends the lifecycle whatever the phase (the season ended, a refit): the alert to resolve.
    public mutating func reset() -> String? {
        // (Asked on every reading of a meter: at rest, nothing to write.)
        guard !isInactive else { return nil }
        defer { self = .inactive }
        return alert
    }
}

extension DetectorPhase: CustomStringConvertible {
    public var description: String {
        switch self {
        case .inactive: "inactive"
        case .pending(let n): "pending (\(n) evaluation\(n == 1 ? "" : "s"))"
        case .firing(let a): "firing (\(a))"
        case .resolving(let a, let n): "resolving (\(a), clear \(n) evaluation\(n == 1 ? "" : "s"))"
        }
    }
}
