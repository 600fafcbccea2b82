public enum AlertSeverity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, critical

    var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// A projection's alert became firing. Published back into the log by the projection worker,
/// with a deterministic event id, so a restarted or duplicated worker appends it only once.
public struct AlertRaised: DomainEvent {
    public static let eventType = "AlertRaised"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.alert
    public static let summary = "An alert fired: rule, asset, severity, evidence, the rule-set version that decided it."

    public var alertId: String
    public var observedAt: String
    public var rule: String
    public var asset: String
    public var severity: AlertSeverity
    public var evidence: String
    public var ruleSet: String
    public var advisory: Bool
    /// Log position of the event that triggered it.
    public var triggerPosition: Int
    public var assetId: String { alertId }

    public init(
        alertId: String, observedAt: String, rule: String, asset: String, severity: AlertSeverity, evidence: String, ruleSet: String,
        advisory: Bool, triggerPosition: Int
    ) {
        self.alertId = alertId
        self.observedAt = observedAt
        self.rule = rule
        self.asset = asset
        self.severity = severity
        self.evidence = evidence
        self.ruleSet = ruleSet
        self.advisory = advisory
        self.triggerPosition = triggerPosition
    }

    public static let fields: [Field] = [
        Field("alertId", .string(maxLength: 200, pattern: "[A-Za-z0-9_.:-]+")),
        Field("observedAt", .date, "day of the triggering observation"),
        Field("rule", .string(maxLength: 120)),
        Field("asset", .string(maxLength: 120), "the asset's stream"),
        Field("severity", AlertSeverity.spec),
        Field("evidence", .string(maxLength: 2000)),
        Field("ruleSet", .string(maxLength: 60), "rule-set name and version, e.g. wastesites/v1"),
        Field("advisory", .boolean, "true when the rule is not yet verified (shown as advisory)"),
        Field("triggerPosition", .integer(min: 1)),
    ]
}

/// An alert stopped firing (condition cleared), with the reason.
public struct AlertResolved: DomainEvent {
    public static let eventType = "AlertResolved"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.alert
    public static let summary = "An alert was resolved: by the projection (condition cleared) or by a person (with a reason)."

    public var alertId: String
    public var observedAt: String
    public var reason: String
    public var triggerPosition: Int?
    public var assetId: String { alertId }

    public init(alertId: String, observedAt: String, reason: String, triggerPosition: Int?) {
        self.alertId = alertId
        self.observedAt = observedAt
        self.reason = reason
        self.triggerPosition = triggerPosition
    }

    public static let fields: [Field] = [
        Field("alertId", .string(maxLength: 200, pattern: "[A-Za-z0-9_.:-]+")),
        Field("observedAt", .date),
        Field("reason", .string(maxLength: 2000)),
        .optional("triggerPosition", .integer(min: 1), "log position of the event that cleared it (projection resolutions)"),
    ]
}

/// A person acknowledged an alert, with a note.
public struct AlertAcknowledged: DomainEvent {
    public static let eventType = "AlertAcknowledged"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.alert
    public static let summary = "An engineer acknowledged an alert with a note."

    public var alertId: String
    public var observedAt: String
    public var note: String
    public var assetId: String { alertId }

    public static let fields: [Field] = [
        Field("alertId", .string(maxLength: 200, pattern: "[A-Za-z0-9_.:-]+")),
        Fields.observedTime,
        Field("note", .string(maxLength: 2000)),
    ]
}

extension AlertRaised: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { DateRules.day(observedAt, context: ctx) }
}

extension AlertResolved: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        DateRules.exists(ctx.facts(stream), path: "alertId", noun: "alert") + DateRules.day(observedAt, context: ctx)
    }
}

extension AlertAcknowledged: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        DateRules.exists(ctx.facts(stream), path: "alertId", noun: "alert") + DateRules.time(observedAt, context: ctx)
    }
}

/// An alert became more severe (e.g. the same non-compliance found again at the next visit).
public struct AlertEscalated: DomainEvent {
    public static let eventType = "AlertEscalated"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.alert
    public static let summary = "A firing alert was escalated: new severity, reason, triggering position."

    public var alertId: String
    public var observedAt: String
    public var severity: AlertSeverity
    public var reason: String
    public var triggerPosition: Int
    public var assetId: String { alertId }

    public init(alertId: String, observedAt: String, severity: AlertSeverity, reason: String, triggerPosition: Int) {
        self.alertId = alertId
        self.observedAt = observedAt
        self.severity = severity
        self.reason = reason
        self.triggerPosition = triggerPosition
    }

    public static let fields: [Field] = [
        Field("alertId", .string(maxLength: 200, pattern: "[A-Za-z0-9_.:-]+")),
        Field("observedAt", .date),
        Field("severity", AlertSeverity.spec),
        Field("reason", .string(maxLength: 2000)),
        Field("triggerPosition", .integer(min: 1)),
    ]
}

/// A person reopened a resolved alert, with the reason.
public struct AlertReopened: DomainEvent {
    public static let eventType = "AlertReopened"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.alert
    public static let summary = "An engineer reopened a resolved alert, with the reason."

    public var alertId: String
    public var observedAt: String
    public var reason: String
    public var assetId: String { alertId }

    public static let fields: [Field] = [
        Field("alertId", .string(maxLength: 200, pattern: "[A-Za-z0-9_.:-]+")),
        Fields.observedTime,
        Field("reason", .string(maxLength: 2000)),
    ]
}

extension AlertEscalated: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        DateRules.exists(ctx.facts(stream), path: "alertId", noun: "alert") + DateRules.day(observedAt, context: ctx)
    }
}

extension AlertReopened: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        DateRules.exists(ctx.facts(stream), path: "alertId", noun: "alert") + DateRules.time(observedAt, context: ctx)
    }
}
