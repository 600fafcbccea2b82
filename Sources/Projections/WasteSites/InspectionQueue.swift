import Domain
import Foundation

/// One place in the inspection queue, with the reasons that put it there.
public struct InspectionQueueEntry: Codable, Sendable, Equatable {
    public var rank: Int
    public var siteId: String
    public var municipality: String
    /// The grade Presidio derives (brief §4.4); `declaredGrade` when the registration said otherwise.
    public var hazardGrade: String
    public var declaredGrade: String?
    public var score: Double
    public var lastInspection: String?
    public var daysSinceInspection: Int
    public var openNonCompliances: [String]
    public var followUpDue: String?
    public var reasons: [String]
    public var advisory: Bool
    public var ruleSet: String
}

extension WasteSiteProjection {
    /// Sites ordered by priority on `today`:
    /// `w.grade·gradeScore + w.overdue·(overdue days / period + follow-up overdue) + w.open·Σ severity
    ///  + w.fire·(recent fire) + w.over·(stored / authorised − 1)⁺` (weights and scores from the rule set).
    public func inspectionQueue(_ state: State, today: Date) -> [InspectionQueueEntry] {
        let w = rules.queueWeights
        let weight: [AlertSeverity: Double] = [.critical: 1, .warning: 0.5, .info: 0.2]
        var entries: [InspectionQueueEntry] = []
        for site in state.sites.values {
            var reasons: [String] = []
            let grade = site.hazardGrade.rawValue
            let gradeScore = rules.gradeScore[grade] ?? 0
            var score = w.grade * gradeScore
            reasons.append(String(format: "hazard grade %@ (+%.2f)", grade, w.grade * gradeScore))
            if let declared = site.declaredGrade, declared != site.hazardGrade {
                reasons.append("declared grade \(declared.rawValue), derived \(grade): \(site.gradeReasons.dropFirst().joined(separator: "; "))")
            }
            if site.cpiAlert != nil, let wc = w.fireCertificate {
                score += wc
                reasons.append(
                    String(
                        format: "fire certificate (CPI) %@ (+%.2f)",
                        site.cpiStatus == .notRequired ? "declared not required but required" : site.cpiStatus.rawValue, wc))
            }
            if let f = rules.fireRule, let deadline = DomainTime.date(f.deadline), site.cpiStatus != .valid,
                ![FireRuleAdaptation.newSite, .adapted, .exempt].contains(site.fireRuleAdaptation)
            {
                let left = Int(deadline.timeIntervalSince(today) / 86400)
                let status = site.fireRuleAdaptation?.rawValue ?? "unknown"
                let wd = w.fireRuleDeadline ?? 0
                if left < 0 {
                    score += wd
                    reasons.append(String(format: "DM 26/7/2022 adaptation (%@) past its deadline %@ (+%.2f)", status, f.deadline, wd))
                } else if left <= f.warnDaysBefore {
                    score += wd / 2
                    reasons.append(String(format: "DM 26/7/2022 adaptation (%@) due %@, %d days left (+%.2f)", status, f.deadline, left, wd / 2))
                } else {
                    reasons.append("DM 26/7/2022 adaptation (\(status)) due \(f.deadline)")
                }
            }
            let periodDays = Double(rules.inspectionFrequencyMonths[grade] ?? 12) * 30.4
            let since = DomainTime.date(site.lastInspection ?? site.registeredOn) ?? today
            let days = max(0, Int(today.timeIntervalSince(since) / 86400))
            let overdue = max(0, Double(days) - periodDays)
            if overdue > 0 {
                score += w.overdue * overdue / periodDays
                reasons.append(
                    String(
                        format: "%@ %d days ago, period %.0f days (+%.2f)",
                        site.lastInspection == nil ? "never inspected; registered" : "last inspected", days, periodDays,
                        w.overdue * overdue / periodDays))
            }
            if let due = site.followUpDue, let d = DomainTime.date(due), d < today {
                score += w.overdue
                reasons.append(String(format: "follow-up overdue since %@ (+%.2f)", due, w.overdue))
            }
            let open = site.openItems.sorted { $0.key < $1.key }
            if !open.isEmpty {
                let sev = open.reduce(0) { $0 + (weight[$1.value.severity] ?? 0) }
                score += w.openNonCompliance * sev
                reasons.append(String(format: "open non-compliances: %@ (+%.2f)", open.map(\.key).joined(separator: ", "), w.openNonCompliance * sev))
            }
            if !site.unverifiedItems.isEmpty {
                reasons.append(
                    "not verifiable at the last inspection (a knowledge gap, to check at the follow-up): \(site.unverifiedItems.joined(separator: ", "))"
                )
            }
            if !site.openFires.isEmpty {
                reasons.append("no visit since the fire of \(site.openFires.values.sorted().joined(separator: ", "))")
            }
            if let fire = site.fires.last, let d = DomainTime.date(fire), today.timeIntervalSince(d) <= Double(rules.recentFireDays) * 86400 {
                score += w.recentFire
                reasons.append(String(format: "fire on %@ (+%.2f)", fire, w.recentFire))
            }
            if site.quantityRatio > 1 {
                score += w.overQuantity * (site.quantityRatio - 1)
                reasons.append(
                    String(
                        format: "stored %.0f%% of the authorised amount (+%.2f)", site.quantityRatio * 100, w.overQuantity * (site.quantityRatio - 1))
                )
            }
            entries.append(
                InspectionQueueEntry(
                    rank: 0, siteId: site.siteId, municipality: site.municipality, hazardGrade: grade,
                    declaredGrade: site.declaredGrade.flatMap { $0 == site.hazardGrade ? nil : $0.rawValue }, score: (score * 1000).rounded() / 1000,
                    lastInspection: site.lastInspection, daysSinceInspection: days, openNonCompliances: open.map(\.key),
                    followUpDue: site.followUpDue,
                    reasons: reasons, advisory: !rules.advisory.isEmpty, ruleSet: ruleSet.label))
        }
        entries.sort { $0.score != $1.score ? $0.score > $1.score : $0.siteId < $1.siteId }
        for i in entries.indices { entries[i].rank = i + 1 }
        return entries
    }
}
