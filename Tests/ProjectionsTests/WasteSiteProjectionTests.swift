@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rules = root.appendingPathComponent("projections").path
    static func example(_ name: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("events/examples/\(name).json"))
    }
}

struct TempDir {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("proj-\(UUID().uuidString)").path
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("Rule sets")
struct RuleSetTests {
    @Test func theShippedWasteSiteRulesLoad() throws {
        let r = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)
        #expect(r.info.label == "wastesites/v2")
        #expect(r.info.advisory.contains("queueWeights"))
        #expect(r.followUpDays == 30)
    }

    @Test func everyProblemOfABadFileIsNamed() throws {
        let dir = TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/wastesites", withIntermediateDirectories: true)
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.rules + "/wastesites/v1.json"))) as! [String: Any]
        o["followUpDays"] = 0
        o["inspectionFrequencyMonths"] = ["alto": 12, "medio": 24, "nessuno": 5]
        o["version"] = 2
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: dir.path + "/wastesites/v1.json"))
        #expect {
            _ = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: dir.path)
        } throws: { e in
            let text = "\(e)"
            return text.contains("followUpDays: must be 1…365 (got 0)") && text.contains("inspectionFrequencyMonths.basso: is required")
                && text.contains("inspectionFrequencyMonths.nessuno: unknown hazard grade") && text.contains("version: must be 1")
        }
    }
}

@Suite("Waste-site projection")
struct WasteSiteProjectionTests {
    static let now = ISO8601DateFormatter().date(from: "2025-06-01T12:00:00Z")!

    func withScenario(_ body: (any EventStore, String) async throws -> Void) async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        let submitter = Submitter(store: store, now: { Self.now })
        for (kind, name) in [
            ("wastesite", "WasteSiteRegistered.v1"), ("wastesite-inspection", "WasteSiteInspected.v1"),
            ("wastesite-sanction", "WasteSiteSanctioned.v1"),
            ("wastesite-follow-up", "WasteSiteFollowUpRecorded.v1"), ("wastesite-fire", "WasteSiteFireReported.v1"),
        ] {
            _ = try await submitter.submit(kind: kind, json: try Paths.example(name), actor: "t")
        }
        try await body(store, dir.path)
    }

    static func runner(_ store: any EventStore, _ dir: String) throws -> ProjectionRunner<WasteSiteProjection> {
        let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)
        return ProjectionRunner(projection: WasteSiteProjection(rules: rules), store: store, snapshots: FileSnapshotStore(directory: dir + "/snap"))
    }

    @Test func inspectionRaisesFollowUpResolvesFireRaises() async throws {
        try await withScenario { store, dir in
            let r = try Self.runner(store, dir)
            try await r.catchUp()
            let alerts = r.state.alerts.values.sorted { $0.raisedPosition < $1.raisedPosition }
            #expect(Set(alerts.map(\.rule)) == ["wastesite.nonCompliance.pileLimits", "wastesite.nonCompliance.quantity", "wastesite.fire"])
            #expect(alerts.count == 3)
            let quantity = try #require(alerts.first { $0.rule == "wastesite.nonCompliance.quantity" })
            #expect(quantity.state == .resolved)
            #expect(quantity.resolution == "follow-up of 2024-07-10: quantity resolved")
            #expect(quantity.evidence.contains("120%"))
            #expect(quantity.severity == .critical && quantity.advisory)
            let fire = try #require(alerts.first { $0.rule == "wastesite.fire" })
            #expect(fire.state == .firing && fire.severity == .warning)
            // "detection: nonVerificabile" raises nothing, but it is a knowledge gap: it keeps a
            // follow-up due after the follow-up of 2024-07-10 (which did not check it), and so
            // does the fire of 2024-08-03, which no visit has followed yet.
            #expect(!alerts.contains { $0.rule.hasSuffix("detection") })
            let site = try #require(r.state.sites["WS0001"])
            #expect(site.openItems.isEmpty)
            #expect(site.unverifiedItems == ["detection"])
            #expect(site.followUpDue == "2024-08-09")
            #expect(site.openFires.values.sorted() == ["2024-08-03"])
            #expect(site.sanctions == 1)
        }
    }

    /// Issue 15, waste sites 1, 2, 5.
    @Test func aFireWaitsForAVisitGapsScheduleOneAndZeroTonneAreasAreOverQuantity() async throws {
        let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)
        let p = WasteSiteProjection(rules: rules)
        var feeder = Feeder(p)
        var site = try JSONDecoder().decode(WasteSiteRegistered.self, from: try Paths.example("WasteSiteRegistered.v1"))
        site.areas[1].authorisedTonnes = 0  // A2: authorised for 0 t
        try feeder.feed(site)
        var inspection = try JSONDecoder().decode(WasteSiteInspected.self, from: try Paths.example("WasteSiteInspected.v1"))
        for k in inspection.items.keys { inspection.items[k]?.outcome = .conforme }
        inspection.items["detection"]?.outcome = .nonVerificabile
        inspection.measured = [.init(areaId: "A1", tonnes: 50), .init(areaId: "A2", tonnes: 3)]
        try feeder.feed(inspection)
        let quantity = try #require(feeder.state.alerts.values.first { $0.rule == "wastesite.nonCompliance.quantity" })
        #expect(quantity.state == .firing && quantity.evidence.contains("3.0 t in area A2, authorised for 0 t"))
        var s = try #require(feeder.state.sites["WS0001"])
        #expect(s.unverifiedItems == ["detection"] && s.followUpDue == "2024-07-18")
        // A fire: its alert waits for a visit; the visit after it resolves it.
        try feeder.feed(try JSONDecoder().decode(WasteSiteFireReported.self, from: try Paths.example("WasteSiteFireReported.v1")))
        let fire = try #require(feeder.state.alerts.values.first { $0.rule == "wastesite.fire" })
        #expect(fire.state == .firing && fire.evidence.contains("follow-up visit is due"))
        var visit = try JSONDecoder().decode(WasteSiteFollowUpRecorded.self, from: try Paths.example("WasteSiteFollowUpRecorded.v1"))
        visit.observedAt = "2024-08-01"  // before the fire: not the visit it waits for
        visit.resolvedItems = []
        try feeder.feed(visit)
        #expect(feeder.state.alerts[fire.id]?.state == .firing)
        visit.observedAt = "2024-08-20"
        visit.resolvedItems = [.detection]
        try feeder.feed(visit)
        #expect(feeder.state.alerts[fire.id]?.state == .resolved)
        #expect(feeder.state.alerts[fire.id]?.resolution == "visit of 2024-08-20 after the fire of 2024-08-03")
        s = try #require(feeder.state.sites["WS0001"])
        #expect(s.unverifiedItems.isEmpty && s.openFires.isEmpty)
        #expect(s.followUpDue == "2024-09-19")  // the 0 t over-quantity (critical) is still open
    }

    @Test func alertsArePublishedOnceEvenByADuplicatedWorker() async throws {
        try await withScenario { store, dir in
            let a = try Self.runner(store, dir)
            try await a.catchUp()
            #expect(try await a.publishAlerts() == 5)  // 3 raised + 2 resolved
            let head = try await store.headPosition()
            // A second worker that never saw the first one's output: same state, same event ids.
            let b = ProjectionRunner(projection: a.projection, store: store, snapshots: FileSnapshotStore(directory: dir + "/other"))
            try await b.catchUp(until: 5)
            #expect(try await b.publishAlerts() == 0)
            #expect(try await store.headPosition() == head)
            let published = try await store.readCategory("alert", from: 1, limit: 100)
            #expect(published.map(\.type).filter { $0 == "AlertRaised" }.count == 3)
            #expect(published.allSatisfy { $0.actor == "projection:wastesites" })
            // The alert events themselves mark the alerts as published.
            #expect(a.state.alerts.values.allSatisfy { $0.raisePublished })
        }
    }

    @Test func rebuildFromZeroEqualsIncrementalAndSnapshotResumes() async throws {
        try await withScenario { store, dir in
            // Incremental: catch up event by event, with snapshots in between.
            let inc = try Self.runner(store, dir)
            let head = try await store.headPosition()
            for p in 1...head {
                try await inc.restore()
                try await inc.catchUp(until: p)
            }
            let rebuilt = try await ProjectionRunner.asOf(projection: inc.projection, store: store)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            #expect(try enc.encode(rebuilt) == (try inc.encodedState()))
            // A fresh runner resumes from the snapshot at the head.
            let resumed = try Self.runner(store, dir)
            #expect(try await resumed.restore())
            #expect(resumed.position == head)
            #expect(resumed.state == inc.state)
        }
    }

    @Test func asOfShowsWhatWasKnownThen() async throws {
        try await withScenario { store, _ in
            let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)
            // Position 2 = the inspection; 3 = sanction; 4 = follow-up.
            let then = try await ProjectionRunner.asOf(projection: WasteSiteProjection(rules: rules), store: store, position: 3)
            #expect(Set(then.sites["WS0001"]!.openItems.keys) == ["quantity", "pileLimits"])
            #expect(then.sites["WS0001"]!.followUpDue == "2024-07-18")
            #expect(then.alerts.values.allSatisfy { $0.state == .firing })
        }
    }

    @Test func repeatedNonComplianceEscalatesAndAPersonCanReopen() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        let submitter = Submitter(store: store, now: { Self.now })
        _ = try await submitter.submit(kind: "wastesite", json: try Paths.example("WasteSiteRegistered.v1"), actor: "t")
        _ = try await submitter.submit(kind: "wastesite-inspection", json: try Paths.example("WasteSiteInspected.v1"), actor: "t")
        var again = try JSONSerialization.jsonObject(with: try Paths.example("WasteSiteInspected.v1")) as! [String: Any]
        again["observedAt"] = "2024-09-12"
        _ = try await submitter.submit(kind: "wastesite-inspection", json: try JSONSerialization.data(withJSONObject: again), actor: "t")
        let r = try Self.runner(store, dir.path)
        try await r.catchUp()
        let pile = try #require(r.state.alerts.values.first { $0.rule == "wastesite.nonCompliance.pileLimits" })
        #expect(pile.escalations.count == 1)
        #expect(pile.escalations.first?.reason == "still non conforme at the inspection of 2024-09-12 (open since 2024-06-18)")
        #expect(try await r.publishAlerts() == 4)  // 2 raised + 2 escalated
        #expect(r.state.alerts.values.allSatisfy { $0.escalationsPublished == $0.escalations.count })
        let escalated = try await store.readCategory("alert", from: 1, limit: 10).filter { $0.type == "AlertEscalated" }
        #expect(escalated.count == 2)
        // Follow-up resolves pileLimits; an engineer disagrees and reopens it.
        _ = try await submitter.submit(
            kind: "wastesite-follow-up",
            json: Data(#"{"siteId":"WS0001","observedAt":"2024-10-01","inspector":"x","resolvedItems":["pileLimits"],"stillOpenItems":[]}"#.utf8),
            actor: "t")
        try await r.catchUp()
        #expect(r.state.alerts[pile.id]?.state == .resolved)
        _ = try await r.publishAlerts()
        let reopen = #"{"alertId":"\#(pile.id)","observedAt":"2024-10-02T09:00:00Z","reason":"bales higher than 4 m again"}"#
        _ = try await submitter.submit(kind: "alert-reopening", json: Data(reopen.utf8), actor: "ing. Rossi")
        try await r.catchUp()
        #expect(r.state.alerts[pile.id]?.state == .firing)
        #expect(r.state.alerts[pile.id]?.reopenedBy == "ing. Rossi: bales higher than 4 m again")
    }

    @Test func queueOrdersByRiskAndSaysWhy() throws {
        let rules = try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)
        let p = WasteSiteProjection(rules: rules)
        var s = WasteSiteProjection.State()
        func site(_ id: String, _ grade: HazardGrade, last: String?, open: [String: AlertSeverity] = [:], fire: String? = nil, ratio: Double = 0)
            -> WasteSiteProjection.Site
        {
            var x = WasteSiteProjection.Site(
                siteId: id, municipality: "Milano", operatorName: "x", hazardGrade: grade, registeredOn: "2019-01-01", authorisedTonnes: [:],
                cpiStatus: .valid, lastInspection: last)
            x.openItems = open.mapValues { .init(since: "2025-01-01", alertId: "a", severity: $0) }
            x.fires = fire.map { [$0] } ?? []
            x.quantityRatio = ratio
            return x
        }
        s.sites["WS0001"] = site("WS0001", .basso, last: "2025-05-01")
        s.sites["WS0002"] = site("WS0002", .alto, last: "2025-05-01")
        s.sites["WS0003"] = site("WS0003", .medio, last: "2021-01-01")  // long overdue
        s.sites["WS0004"] = site("WS0004", .alto, last: "2025-05-01", open: ["quantity": .critical], fire: "2025-04-01", ratio: 1.5)
        let q = p.inspectionQueue(s, today: DomainTime.date("2025-06-01")!)
        #expect(q.map(\.siteId) == ["WS0004", "WS0003", "WS0002", "WS0001"])
        #expect(q[0].reasons.contains { $0.hasPrefix("fire on 2025-04-01") })
        #expect(q[0].reasons.contains { $0.hasPrefix("stored 150% of the authorised amount") })
        #expect(q[1].reasons.contains { $0.contains("last inspected") })
        #expect(q.allSatisfy { $0.advisory && $0.ruleSet == "wastesites/v2" })
    }
}

/// Issue 15, waste sites 3 and 4: the hazard grade is derived, the declared one shown beside it;
/// a required CPI missing or expired raises an alert and weighs in the queue; the DM 26/7/2022
/// adaptation deadline weighs as it nears.
@Suite("Waste sites: derived hazard grade, fire certificate, DM 26/7/2022")
struct WasteSiteGradeTests {
    static func site(_ edit: (inout WasteSiteRegistered) -> Void = { _ in }) throws -> WasteSiteRegistered {
        var s = try JSONDecoder().decode(WasteSiteRegistered.self, from: try Paths.example("WasteSiteRegistered.v1"))
        edit(&s)
        return s
    }

    static func project(_ events: [any DomainEvent]) throws -> (WasteSiteProjection, WasteSiteProjection.State) {
        let p = WasteSiteProjection(rules: try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules))
        var feeder = Feeder(p)
        for e in events { try feeder.feed(e) }
        return (p, feeder.state)
    }

    @Test func theGradeIsDerivedFromTheRegistryAndHistoryAndTheDeclaredOneIsShown() throws {
        // Small, mostly inert, treating (not only storing): basso whatever the operator declared.
        let small = try Self.site {
            $0.hazardGrade = .alto; $0.combustibleShare = 0.01; $0.footprintM2 = 900; $0.indoorM2 = 200; $0.operations = ["R13", "R5"]
        }
        var (p, s) = try Self.project([small])
        var site = try #require(s.sites["WS0001"])
        #expect(site.hazardGrade == .basso && site.declaredGrade == .alto)
        #expect(site.gradeReasons.first == "derived grade basso: 0 points (alto from 4, medio from 2); declared alto")
        let q = try #require(p.inspectionQueue(s, today: DomainTime.date("2020-01-01")!).first)
        #expect(q.hazardGrade == "basso" && q.declaredGrade == "alto")
        #expect(q.reasons.contains { $0.hasPrefix("declared grade alto, derived basso") })
        // The example: 336 t of combustibles (over 5 t), 6,400 m², treating as well as storing:
        // medio, though declared alto.
        (p, s) = try Self.project([try Self.site()])
        site = try #require(s.sites["WS0001"])
        #expect(site.hazardGrade == .medio && site.gradeReasons.contains { $0.hasPrefix("336 t of combustible waste authorised") })
        // History counts: a fire makes a small site medio, and a large storage-only one alto.
        var fire = try JSONDecoder().decode(WasteSiteFireReported.self, from: try Paths.example("WasteSiteFireReported.v1"))
        fire.siteId = "WS0001"
        (p, s) = try Self.project([small, fire])
        #expect(s.sites["WS0001"]?.hazardGrade == .medio)
        (p, s) = try Self.project([try Self.site { $0.operations = ["R13"] }, fire])
        #expect(s.sites["WS0001"]?.hazardGrade == .alto)
    }

    @Test func aRequiredCertificateMissingOrExpiredRaisesAnAlertThatAnInspectionInOrderResolves() throws {
        let expired = try Self.site {
            $0.cpiStatus = .expired; $0.fireRuleAdaptation = .adapting
        }
        var inspection = try JSONDecoder().decode(WasteSiteInspected.self, from: try Paths.example("WasteSiteInspected.v1"))
        for k in inspection.items.keys { inspection.items[k]?.outcome = .conforme }
        var (p, s) = try Self.project([expired])
        let alert = try #require(s.alerts.values.first { $0.rule == "wastesite.fireCertificate" })
        #expect(alert.state == .firing && alert.severity == .critical)
        #expect(alert.evidence.contains("expired") && alert.evidence.contains("activity 70") && alert.evidence.contains("VVF"))
        let q = try #require(p.inspectionQueue(s, today: DomainTime.date("2027-06-01")!).first)
        #expect(q.reasons.contains("fire certificate (CPI) expired (+2.00)"))
        #expect(q.reasons.contains { $0.hasPrefix("DM 26/7/2022 adaptation (adapting) due 2027-11-09, 161 days left") })
        let later = try #require(p.inspectionQueue(s, today: DomainTime.date("2028-01-01")!).first)
        #expect(later.reasons.contains { $0.hasPrefix("DM 26/7/2022 adaptation (adapting) past its deadline 2027-11-09") })
        #expect(later.score > q.score)
        (p, s) = try Self.project([expired, inspection])
        #expect(s.alerts[alert.id]?.state == .resolved && s.sites["WS0001"]?.cpiStatus == .valid)
        // "Not required" declared by a site over the thresholds is a warning; a small site is not asked.
        (p, s) = try Self.project([try Self.site { $0.cpiStatus = .notRequired }])
        #expect(s.alerts.values.first { $0.rule == "wastesite.fireCertificate" }?.severity == .warning)
        (p, s) = try Self.project([
            try Self.site {
                $0.cpiStatus = .notRequired; $0.footprintM2 = 800
            }
        ])
        #expect(!s.alerts.values.contains { $0.rule == "wastesite.fireCertificate" })
        // An exempt site (valid CPI) has no adaptation deadline.
        (p, s) = try Self.project([try Self.site()])
        #expect(!(p.inspectionQueue(s, today: DomainTime.date("2027-06-01")!).first?.reasons.contains { $0.contains("DM 26/7/2022") } ?? true))
    }
}
