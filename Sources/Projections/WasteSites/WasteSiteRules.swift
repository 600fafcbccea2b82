import Domain

/// `projections/wastesites/v<N>.json`.
public struct WasteSiteRules: Codable, Sendable, ValidatedRules {
    public var ruleSet: String
    public var version: Int
    public var source: String
    public var advisory: [String]
    public var inspectionFrequencyMonths: [String: Int]
    public var followUpDays: Int
    public var criticalItems: [String]
    public var itemSeverity: [String: AlertSeverity]
    public var gradeScore: [String: Double]
    public var queueWeights: QueueWeights
    public var recentFireDays: Int
    /// v2 on: how the hazard grade is derived from the registry and the site's history (brief
    /// §4.4) instead of trusting the declared one; nil (v1): the declared grade.
    public var hazardGrade: HazardGradeRule?
    /// v2 on: when a fire-prevention certificate is required (DPR 151/2011 activity 70).
    public var fireCertificate: FireCertificateRule?
    /// v2 on: DM 26/7/2022, the deadline for existing sites to adapt.
    public var fireRule: FireRuleDeadline?

    public struct HazardGradeRule: Codable, Sendable {
        public var combustibleTonnesAbove: Double
        public var footprintM2Above: Double
        public var indoorM2Above: Double
        public var storageOnlyOperations: [String]
        /// Points per factor: combustible, footprint, storageOnly, fire, sanction, openCritical.
        public var points: [String: Double]
        public var altoAtLeast: Double
        public var medioAtLeast: Double
    }

    public struct FireCertificateRule: Codable, Sendable {
        public var requiredFootprintM2Above: Double
        public var requiredCombustibleTonnesAbove: Double
    }

    public struct FireRuleDeadline: Codable, Sendable {
        public var deadline: String
        public var warnDaysBefore: Int
    }

    public struct QueueWeights: Codable, Sendable {
        public var grade: Double
        public var overdue: Double
        public var openNonCompliance: Double
        public var recentFire: Double
        public var overQuantity: Double
        /// v2 on: a required CPI missing or expired.
        public var fireCertificate: Double?
        /// v2 on: DM 26/7/2022 adaptation near (half) or past (whole) its deadline.
        public var fireRuleDeadline: Double?
    }

    public var info: RuleSetInfo { RuleSetInfo(name: ruleSet, version: version, advisory: advisory) }

    public func problems() -> [String] {
        var p: [String] = []
        let grades = HazardGrade.allCases.map(\.rawValue)
        let items = ChecklistItem.allCases.map(\.rawValue)
        for g in grades {
            if let m = inspectionFrequencyMonths[g] {
                if !(1...120).contains(m) { p.append("inspectionFrequencyMonths.\(g): must be 1…120 (got \(m))") }
            } else {
                p.append("inspectionFrequencyMonths.\(g): is required")
            }
            if let s = gradeScore[g] {
                if !(0...10).contains(s) { p.append("gradeScore.\(g): must be 0…10 (got \(s))") }
            } else {
                p.append("gradeScore.\(g): is required")
            }
        }
        for k in inspectionFrequencyMonths.keys where !grades.contains(k) { p.append("inspectionFrequencyMonths.\(k): unknown hazard grade") }
        for i in items where itemSeverity[i] == nil { p.append("itemSeverity.\(i): is required") }
        for k in itemSeverity.keys where !items.contains(k) { p.append("itemSeverity.\(k): unknown checklist item") }
        for c in criticalItems where !items.contains(c) { p.append("criticalItems: unknown checklist item '\(c)'") }
        if !(1...365).contains(followUpDays) { p.append("followUpDays: must be 1…365 (got \(followUpDays))") }
        if !(1...3650).contains(recentFireDays) { p.append("recentFireDays: must be 1…3650 (got \(recentFireDays))") }
        let w = queueWeights
        for (name, v) in [
            ("grade", w.grade), ("overdue", w.overdue), ("openNonCompliance", w.openNonCompliance), ("recentFire", w.recentFire),
            ("overQuantity", w.overQuantity),
        ]
        where v < 0 || v > 100 {
            p.append("queueWeights.\(name): must be 0…100 (got \(v))")
        }
        if let g = hazardGrade {
            let factors = ["combustible", "footprint", "storageOnly", "fire", "sanction", "openCritical"]
            for f in factors where g.points[f] == nil { p.append("hazardGrade.points.\(f): is required") }
            for k in g.points.keys where !factors.contains(k) { p.append("hazardGrade.points.\(k): unknown factor") }
            if g.medioAtLeast > g.altoAtLeast { p.append("hazardGrade: medioAtLeast must not exceed altoAtLeast") }
        }
        if let f = fireRule {
            if DomainTime.date(f.deadline) == nil { p.append("fireRule.deadline: must be a day (YYYY-MM-DD)") }
            if f.warnDaysBefore < 0 { p.append("fireRule.warnDaysBefore: must not be negative") }
        }
        for (name, v) in [("fireCertificate", w.fireCertificate), ("fireRuleDeadline", w.fireRuleDeadline)] {
            if let v, v < 0 || v > 100 { p.append("queueWeights.\(name): must be 0…100 (got \(v))") }
        }
        let known = [
            "inspectionFrequencyMonths", "itemSeverity", "queueWeights", "gradeScore", "followUpDays", "criticalItems", "recentFireDays",
            "hazardGrade", "fireCertificate",
        ]
        for a in advisory where !known.contains(a) { p.append("advisory: unknown rule '\(a)'") }
        return p
    }
}
