import Domain
import EventLog
import Foundation

/// Waste storage sites: state from the registry and the latest inspections, non-compliance and
/// fire alerts, and the inspection queue (waste-sites brief §4.3–4.4).
public struct WasteSiteProjection: Projection {
    public let name = "wastesites"
    /// 2: sites keep their location (GeoJSON layer); 3: poison events parked; 4: a fire and a
    /// "non verificabile" item schedule a follow-up visit, the fire alert resolves only with a
    /// visit, storage in an area authorised for 0 t is over-quantity; 5: the hazard grade is
    /// derived from the registry and history, a required CPI missing or expired raises an
    /// alert, the DM 26/7/2022 adaptation status is kept.
    public let codeVersion = 5
    public let rules: WasteSiteRules
    public var ruleSet: RuleSetInfo { rules.info }
    public let categories: Set<String> = ["wastesite"]

    public init(rules: WasteSiteRules) { self.rules = rules }

    public struct State: Codable, Sendable, Equatable, AlertHolding {
        public var sites: [String: Site] = [:]
        public var alerts: [String: AlertRecord] = [:]
        public var parked = ParkedEvents()
    }

    public struct OpenItem: Codable, Sendable, Equatable {
        public var since: String
        public var alertId: String
        public var severity: AlertSeverity
    }

    public struct Site: Codable, Sendable, Equatable {
        public var siteId: String
        public var municipality: String
        public var operatorName: String
        public var hazardGrade: HazardGrade
        public var registeredOn: String
        public var authorisedTonnes: [String: Double]
        public var cpiStatus: CPIStatus
        public var lastInspection: String?
        public var inspections = 0
        public var openItems: [String: OpenItem] = [:]
        public var followUpDue: String?
        /// Largest measured / authorised ratio at the last inspection.
        public var quantityRatio: Double = 0
        public var fires: [String] = []
        /// The fire alerts no visit has followed yet: alert id → day of the fire.
        public var openFires: [String: String] = [:]
        /// Checklist items an inspection could not verify: knowledge gaps, not compliance.
        public var unverifiedItems: [String] = []
        public var sanctions = 0
        public var location: GeoPoint?
        /// The grade the registration declared; `hazardGrade` is the one Presidio derives (the
        /// same under a rule set without `hazardGrade`), with its reasons.
        public var declaredGrade: HazardGrade?
        public var gradeReasons: [String] = []
        public var combustibleTonnes: Double = 0
        public var footprintM2: Double = 0
        public var indoorM2: Double?
        public var operations: [String] = []
        /// DPR 151/2011 activity 70 applies (from the registry), so a CPI is required.
        public var cpiRequired = false
        public var fireRuleAdaptation: FireRuleAdaptation?
        /// The firing fire-certificate alert, if any.
        public var cpiAlert: String?
    }

    public func initialState() -> State { State() }

    func advisory(_ rule: String) -> Bool { rules.advisory.contains(rule) }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        switch decoded {
        case let r as WasteSiteRegistered:
            var site = Site(
                siteId: r.siteId, municipality: r.municipality, operatorName: r.operatorName, hazardGrade: r.hazardGrade, registeredOn: r.observedAt,
                authorisedTonnes: Dictionary(r.areas.map { ($0.areaId, $0.authorisedTonnes) }, uniquingKeysWith: { a, _ in a }),
                cpiStatus: r.cpiStatus,
                location: r.location)
            site.declaredGrade = r.hazardGrade
            site.combustibleTonnes = r.combustibleShare * r.areas.reduce(0) { $0 + $1.authorisedTonnes }
            site.footprintM2 = r.footprintM2
            site.indoorM2 = r.indoorM2
            site.operations = r.operations
            site.fireRuleAdaptation = r.fireRuleAdaptation
            if let c = rules.fireCertificate {
                site.cpiRequired = r.footprintM2 > c.requiredFootprintM2Above && site.combustibleTonnes > c.requiredCombustibleTonnesAbove
            }
            regrade(&site)
            syncCertificate(&s, &site, stream: event.stream, on: r.observedAt, position: event.position)
            s.sites[r.siteId] = site
        case let i as WasteSiteInspected:
            guard var site = s.sites[i.siteId] else { throw CannotApply.unknown("waste site", i.siteId, "registration") }
            site.lastInspection = i.observedAt
            site.inspections += 1
            site.quantityRatio = i.measured.compactMap { m in site.authorisedTonnes[m.areaId].map { $0 > 0 ? m.tonnes / $0 : 0 } }.max() ?? 0
            // Waste in an area authorised for 0 t is over-quantity whatever the checklist says.
            let unauthorised = i.measured.filter { $0.tonnes > 0 && site.authorisedTonnes[$0.areaId] == 0 }
            site.unverifiedItems = []
            for item in ChecklistItem.allCases {
                guard var check = i.items[item.rawValue] else { continue }
                if item == .quantity, !unauthorised.isEmpty {
                    check.outcome = .nonConforme
                    let stored = unauthorised.map { String(format: "%.1f t in area %@, authorised for 0 t", $0.tonnes, $0.areaId) }
                    check.note = ([check.note].compactMap { $0 } + stored).joined(separator: "; ")
                }
                switch check.outcome {
                case .nonConforme where site.openItems[item.rawValue] == nil:
                    let id = "\(event.stream).nonCompliance.\(item.rawValue).\(event.position)"
                    let severity = rules.itemSeverity[item.rawValue] ?? .warning
                    var evidence = "inspection of \(i.observedAt) by \(i.body): \(item.rawValue) non conforme"
                    if let note = check.note { evidence += " (\(note))" }
                    if item == .quantity, site.quantityRatio > 1 {
                        evidence += String(format: "; stored %.0f%% of the authorised amount", site.quantityRatio * 100)
                    }
                    s.raise(
                        id, rule: "wastesite.nonCompliance.\(item.rawValue)", asset: event.stream, severity: severity, evidence: evidence,
                        ruleSet: ruleSet, advisory: advisory("itemSeverity"), on: i.observedAt, position: event.position)
                    site.openItems[item.rawValue] = OpenItem(since: i.observedAt, alertId: id, severity: severity)
                case .nonConforme:
                    // Found again at a later visit: the operator did not fix it.
                    if let open = site.openItems[item.rawValue] {
                        s.escalate(
                            open.alertId, to: .critical, reason: "still non conforme at the inspection of \(i.observedAt) (open since \(open.since))",
                            on: i.observedAt, position: event.position)
                    }
                case .conforme:
                    // A CPI found in order on site is valid from then on.
                    if item == .cpi, site.cpiStatus == .missing || site.cpiStatus == .expired { site.cpiStatus = .valid }
                    if let open = site.openItems.removeValue(forKey: item.rawValue) {
                        s.resolve(
                            open.alertId, reason: "inspection of \(i.observedAt): \(item.rawValue) conforme", on: i.observedAt,
                            position: event.position)
                    }
                case .nonVerificabile:
                    site.unverifiedItems.append(item.rawValue)
                }
            }
            resolveFires(&s, &site, visitedOn: i.observedAt, position: event.position)
            updateFollowUp(&site, from: i.observedAt)
            regrade(&site)
            syncCertificate(&s, &site, stream: event.stream, on: i.observedAt, position: event.position)
            s.sites[i.siteId] = site
        case let f as WasteSiteFollowUpRecorded:
            guard var site = s.sites[f.siteId] else { throw CannotApply.unknown("waste site", f.siteId, "registration") }
            for item in f.resolvedItems {
                if let open = site.openItems.removeValue(forKey: item.rawValue) {
                    s.resolve(
                        open.alertId, reason: "follow-up of \(f.observedAt): \(item.rawValue) resolved", on: f.observedAt, position: event.position)
                }
            }
            site.followUpDue = nil
            site.unverifiedItems.removeAll { item in f.resolvedItems.contains { $0.rawValue == item } }
            resolveFires(&s, &site, visitedOn: f.observedAt, position: event.position)
            updateFollowUp(&site, from: f.observedAt)
            regrade(&site)
            s.sites[f.siteId] = site
        case let x as WasteSiteSanctioned:
            if var site = s.sites[x.siteId] {
                site.sanctions += 1
                regrade(&site)
                s.sites[x.siteId] = site
            }
        case let fire as WasteSiteFireReported:
            guard var site = s.sites[fire.siteId] else { throw CannotApply.unknown("waste site", fire.siteId, "registration") }
            let day = String(fire.observedAt.prefix(10))
            let id = "\(event.stream).fire.\(event.position)"
            site.fires.append(day)
            site.openFires[id] = day
            s.raise(
                id, rule: "wastesite.fire", asset: event.stream,
                severity: fire.severity == .importante ? .critical : .warning,
                evidence: "fire (\(fire.severity.rawValue)) on \(fire.observedAt): \(fire.description); a follow-up visit is due",
                ruleSet: ruleSet, advisory: false, on: day, at: fire.observedAt, position: event.position)
            updateFollowUp(&site, from: day)
            regrade(&site)
            s.sites[fire.siteId] = site
        default: break
        }
    }

    /// The hazard grade from the registry and the site's history (brief §4.4): points for
    /// combustibles over the activity-70 quantity, a large footprint, storage-only operations,
    /// past fires, sanctions and open critical non-compliances; the cut-offs in the rule file.
    func regrade(_ site: inout Site) {
        guard let g = rules.hazardGrade else {
            site.hazardGrade = site.declaredGrade ?? site.hazardGrade
            return
        }
        var points = 0.0
        var reasons: [String] = []
        func add(_ factor: String, _ why: String) {
            let p = g.points[factor] ?? 0
            points += p
            reasons.append(String(format: "%@ (+%g)", why, p))
        }
        if site.combustibleTonnes > g.combustibleTonnesAbove {
            add("combustible", String(format: "%.0f t of combustible waste authorised (over %g t)", site.combustibleTonnes, g.combustibleTonnesAbove))
        }
        if site.footprintM2 > g.footprintM2Above || (site.indoorM2 ?? 0) > g.indoorM2Above {
            add(
                "footprint",
                String(format: "footprint %.0f m²%@", site.footprintM2, site.indoorM2.map { String(format: ", %.0f m² indoors", $0) } ?? ""))
        }
        if !site.operations.isEmpty && site.operations.allSatisfy(g.storageOnlyOperations.contains) {
            add("storageOnly", "storage only (\(site.operations.joined(separator: ", ")))")
        }
        if let last = site.fires.last { add("fire", "\(site.fires.count) fire\(site.fires.count == 1 ? "" : "s"), last \(last)") }
        if site.sanctions > 0 { add("sanction", "\(site.sanctions) sanction\(site.sanctions == 1 ? "" : "s")") }
        let critical = site.openItems.keys.filter { rules.criticalItems.contains($0) }.sorted()
        if !critical.isEmpty { add("openCritical", "open critical non-compliances: \(critical.joined(separator: ", "))") }
        let grade: HazardGrade = points >= g.altoAtLeast ? .alto : points >= g.medioAtLeast ? .medio : .basso
        site.hazardGrade = grade
        let declared = site.declaredGrade.map { $0 == grade ? "" : "; declared \($0.rawValue)" } ?? ""
        site.gradeReasons =
            [
                String(
                    format: "derived grade %@: %g points (alto from %g, medio from %g)%@", grade.rawValue, points, g.altoAtLeast, g.medioAtLeast,
                    declared)
            ] + reasons
    }

    /// A fire-prevention certificate the site needs (brief §4.3 item 7) and does not hold, or
    /// declared "not required" by a site over the activity-70 thresholds: an alert (escalate to
    /// the fire brigade, VVF) that resolves when an inspection finds the CPI in order.
    func syncCertificate(_ s: inout State, _ site: inout Site, stream: String, on day: String, position: UInt64) {
        guard rules.fireCertificate != nil else { return }
        var problem: String?
        switch site.cpiStatus {
        case .missing, .expired:
            problem =
                "fire-prevention certificate (CPI/SCIA) \(site.cpiStatus.rawValue)\(site.cpiRequired ? String(format: ": %.0f m² with %.0f t of combustibles (DPR 151/2011 activity 70)", site.footprintM2, site.combustibleTonnes) : ""); escalate to the fire brigade (VVF)"
        case .notRequired where site.cpiRequired:
            problem = String(
                format: "CPI declared not required, but %.0f m² with %.0f t of combustibles is over the DPR 151/2011 activity 70 thresholds",
                site.footprintM2, site.combustibleTonnes)
        default: break
        }
        if let problem, site.cpiAlert == nil {
            let id = "\(stream).fireCertificate.\(position)"
            s.raise(
                id, rule: "wastesite.fireCertificate", asset: stream, severity: site.cpiStatus == .notRequired ? .warning : .critical,
                evidence: problem, ruleSet: ruleSet, advisory: advisory("fireCertificate"), on: day, position: position)
            site.cpiAlert = AlertText.id(id)
        } else if problem == nil, let id = site.cpiAlert {
            s.resolve(id, reason: "CPI in order at the visit of \(day)", on: day, position: position)
            site.cpiAlert = nil
        }
    }

    /// A visit (inspection or follow-up) on or after a fire closes the fire's alert: only a
    /// visit says the site is safe again.
    func resolveFires(_ s: inout State, _ site: inout Site, visitedOn day: String, position: UInt64) {
        let visit = String(day.prefix(10))
        for (id, fireDay) in site.openFires where fireDay <= visit {
            s.resolve(id, reason: "visit of \(visit) after the fire of \(fireDay)", on: visit, position: position)
            site.openFires[id] = nil
        }
    }

    /// A follow-up visit is due within `followUpDays` of a critical non-compliance, of an item
    /// that could not be verified (a knowledge gap), or of a fire no visit has followed yet.
    func updateFollowUp(_ site: inout Site, from day: String) {
        let critical =
            site.openItems.keys.contains { rules.criticalItems.contains($0) } || !site.unverifiedItems.isEmpty || !site.openFires.isEmpty
        if !critical {
            site.followUpDue = nil
        } else if site.followUpDue == nil, let d = DomainTime.date(day) {
            site.followUpDue = DomainTime.dayString(d.addingTimeInterval(86400 * Double(rules.followUpDays)))
        }
    }
}
