import Domain
import EventLog
import Foundation

/// Waste storage sites: state from the registry and the latest inspections, non-compliance and
/// fire alerts, and the inspection queue (waste-sites brief §4.3–4.4).
public struct WasteSiteProjection: Projection {
    public let name = "wastesites"
    /// 2: sites keep their location (GeoJSON layer); 3: poison events parked; 4: a fire and a
    /// "non verificabile" item schedule a follow-up visit, the fire alert resolves only with a
    /// visit, storage in an area authorised for 0 t is over-quantity.
    public let codeVersion = 4
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
    }

    public func initialState() -> State { State() }

    func advisory(_ rule: String) -> Bool { rules.advisory.contains(rule) }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        switch decoded {
        case let r as WasteSiteRegistered:
            s.sites[r.siteId] = Site(
                siteId: r.siteId, municipality: r.municipality, operatorName: r.operatorName, hazardGrade: r.hazardGrade, registeredOn: r.observedAt,
                authorisedTonnes: Dictionary(r.areas.map { ($0.areaId, $0.authorisedTonnes) }, uniquingKeysWith: { a, _ in a }),
                cpiStatus: r.cpiStatus,
                location: r.location)
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
            s.sites[f.siteId] = site
        case let x as WasteSiteSanctioned:
            s.sites[x.siteId]?.sanctions += 1
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
            s.sites[fire.siteId] = site
        default: break
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
