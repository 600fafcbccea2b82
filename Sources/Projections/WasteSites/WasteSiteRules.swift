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

    public struct QueueWeights: Codable, Sendable {
        public var grade: Double
        public var overdue: Double
        public var openNonCompliance: Double
        public var recentFire: Double
        public var overQuantity: Double
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
        let known = ["inspectionFrequencyMonths", "itemSeverity", "queueWeights", "gradeScore", "followUpDays", "criticalItems", "recentFireDays"]
        for a in advisory where !known.contains(a) { p.append("advisory: unknown rule '\(a)'") }
        return p
    }
}
