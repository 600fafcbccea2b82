@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// Issue 15 (bridges 1, 2, 5, 9): what a bridge needs follows from its facts in observation
/// order, never from the order they were filed; several requirements can be open at once.
@Suite("Bridges: requirements from the facts")
struct BridgeRequirementsTests {
    typealias T = BridgeProjectionTests

    /// Favourable census: overall Bassa with a clean inspection. `seismicMedium`: ag 0.057 g on
    /// subsoil B, which makes a defect level Medio-Basso give overall Media (Level 3).
    static func census(postTensioned: Bool = false, seismicMedium: Bool = false) throws -> BridgeCensused {
        try T.census {
            $0.seismicAg = seismicMedium ? 0.057 : 0.045; $0.subsoil = seismicMedium ? .B : .A; $0.topography = .T1
            $0.yearBuilt = 1990; $0.lastMajorInterventionYear = nil; $0.designCodeClass = .C; $0.deicingSalts = false
            $0.material = .reinforcedConcrete; $0.staticScheme = .simplySupportedBeams; $0.spans = 2; $0.spanLengths = [9, 9]; $0.totalLength = 18
            $0.commercialFrequency = .bassa; $0.roadClass = .D; $0.aadt = 8000; $0.frequentPedestrians = false; $0.alternativeRoute = true
            $0.crossedFeatureClass = .bassa; $0.postTensioned = postTensioned
        }
    }

    static func inspection(_ on: String, _ defects: [BridgeInspected.Defect]) throws -> BridgeInspected {
        var i = try JSONDecoder().decode(BridgeInspected.self, from: try Paths.example("BridgeInspected.v1"))
        i.observedAt = on
        i.defects = defects
        i.criticalElements = []
        i.access = .full
        i.spansInspected = 2
        i.bothElevations = true
        return i
    }

    /// A hydraulic form whose class is Alta (overtopping Alta, erosion low).
    static func hydraulicAlta(_ on: String) throws -> HydraulicFormRecorded {
        var f = try JSONDecoder().decode(HydraulicFormRecorded.self, from: try Paths.example("HydraulicFormRecorded.v1"))
        f.observedAt = on
        f.overtoppingHazard = 1
        f.generalErosionHazard = 5
        f.localErosionHazard = 5
        return f
    }

    static func landslide(_ on: String) throws -> LandslideFormRecorded {
        var f = try JSONDecoder().decode(LandslideFormRecorded.self, from: try Paths.example("LandslideFormRecorded.v1"))
        f.observedAt = on
        return f
    }

    static func project(_ events: [any DomainEvent]) throws -> (BridgeProjection, BridgeProjection.State) {
        let p = BridgeProjection(rules: try T.rules())
        var feeder = Feeder(p)
        for e in events { try feeder.feed(e) }
        return (p, feeder.state)
    }

    @Test func theSameFactsInAnyFilingOrderGiveTheSameRequirementsAndQueue() throws {
        let facts: [any DomainEvent] = [
            try Self.inspection("2024-03-12", [T.defect(g: 3, k2: 1)]), try Self.hydraulicAlta("2024-04-01"), try Self.landslide("2024-02-01"),
            try Self.inspection("2024-09-30", [T.defect(g: 3, k2: 1)]),
        ]
        let today = DomainTime.date("2025-01-15")!
        var seen: [String] = []
        func permutations(_ a: [Int]) -> [[Int]] {
            a.count <= 1 ? [a] : a.indices.flatMap { i in permutations(Array(a[..<i] + a[(i + 1)...])).map { [a[i]] + $0 } }
        }
        for order in permutations(Array(facts.indices)) {
            let (p, s) = try Self.project([try Self.census()] + order.map { facts[$0] })
            let b = try #require(s.bridges["MI0001"])
            let needs = try p.requirements(b)
            let queue = p.safetyQueue(s, today: today).map { "\($0.step) \($0.due ?? "-") \($0.reasons.joined(separator: "|"))" }
            seen.append("\(b.attention?.overall ?? 0) \(needs.map { "\($0.kind) \($0.since) \($0.due ?? "-")" }) \(p.nextStep(b)) \(queue)")
        }
        #expect(Set(seen).count == 1, "\(Set(seen))")
        // The hydraulic form makes the bridge Alta from its date: Level 4, whatever came first.
        let (p, s) = try Self.project([try Self.census()] + facts)
        let needs = try p.requirements(s.bridges["MI0001"]!)
        #expect(needs.map(\.kind) == [.level4] && needs[0].since == "2024-04-01")
        #expect(p.safetyQueue(s, today: today).map(\.step) == ["Level 4"])
    }

    @Test func aBackDatedInspectionTakesItsPlaceInsteadOfOverridingTheNewerOne() throws {
        let danger = try Self.inspection("2025-05-10", [T.defect(g: 5, k1: 1, k2: 1, ps: true)])
        let older = try Self.inspection("2024-05-10", [T.defect(g: 2, k2: 0.5)])
        let (p, s) = try Self.project([try Self.census(), danger, older])
        let b = try #require(s.bridges["MI0001"])
        #expect(b.lastInspection == "2025-05-10" && b.attention?.defectLevel == 1)
        #expect(p.nextStep(b).step == "Level 4 (immediate)")
    }

    @Test func aLevel3ThatRequiresLevel4LeadsToLevel4() throws {
        let medium = try Self.inspection("2024-03-12", [T.defect(g: 3, k2: 0.5)])  // defect level Medio-Basso → overall Media
        var (p, s) = try Self.project([try Self.census(seismicMedium: true), medium])
        let before = try #require(s.bridges["MI0001"])
        #expect((before.attention?.overall ?? 5) <= 3 && p.nextStep(before).step == "Level 3")
        (p, s) = try Self.project([
            try Self.census(seismicMedium: true), medium,
            AssessmentConcluded(
                bridgeId: "MI0001", observedAt: "2024-06-01", level: 3, engineer: "x", outcome: .level4Required, loadLimitTonnes: nil, notes: nil),
        ])
        let b = try #require(s.bridges["MI0001"])
        #expect(p.nextStep(b).step == "Level 4")
        #expect(try p.requirements(b).first?.reason == "Level 3 of 2024-06-01: Level 4 required")
        // The Level 4 closes it, and the next routine inspection of the same defects does not reopen it.
        (p, s) = try Self.project([
            try Self.census(seismicMedium: true), medium,
            AssessmentConcluded(
                bridgeId: "MI0001", observedAt: "2024-06-01", level: 3, engineer: "x", outcome: .level4Required, loadLimitTonnes: nil, notes: nil),
            AssessmentConcluded(
                bridgeId: "MI0001", observedAt: "2024-09-01", level: 4, engineer: "x", outcome: .operable, loadLimitTonnes: nil, notes: nil),
            try Self.inspection("2025-03-12", [T.defect(g: 3, k2: 0.5)]),
        ])
        let after = try #require(s.bridges["MI0001"])
        #expect(try p.requirements(after).isEmpty && p.nextStep(after).step == "periodic inspection")
        #expect(p.safetyQueue(s, today: DomainTime.date("2025-06-01")!).isEmpty)
    }

    @Test func aRepairDoesNotCloseAnImmediateLevel4AndItsAlertStays() throws {
        let (p, s) = try Self.project([
            try Self.census(), try Self.inspection("2024-03-12", [T.defect(g: 5, k1: 1, k2: 1, ps: true)]),
            InterventionCompleted(bridgeId: "MI0001", observedAt: "2024-04-01", kind: .repair, description: "patched", costEUR: nil),
        ])
        let b = try #require(s.bridges["MI0001"])
        #expect(p.nextStep(b) == ("Level 4 (immediate)", "2024-04-11") || p.nextStep(b).step == "Level 4 (immediate)")
        #expect(s.alerts.values.first { $0.rule == "bridge.dangerousDefect" }?.state == .resolved)
        #expect(s.alerts.values.first { $0.rule == "bridge.immediateLevel4" }?.state == .firing)
    }

    @Test func theAltoOverrideAndAClassRiseRaiseAlerts() throws {
        // Widespread G4 (three rows, k1 = k2 = 1) without PS: defect level Alto, the override.
        let widespread = (0..<3).map { _ in T.defect(g: 4, k1: 1, k2: 1) }
        var (_, s) = try Self.project([try Self.census(), try Self.inspection("2024-03-12", widespread)])
        #expect(s.alerts.values.filter { $0.rule == "bridge.immediateLevel4" && $0.state == .firing }.count == 1)
        #expect(s.alerts.values.first { $0.rule == "bridge.immediateLevel4" }?.evidence.contains("override") == true)
        // A form raising the class to Alta (no inspection involved) raises a class alert.
        (_, s) = try Self.project([
            try Self.census(), try Self.inspection("2024-03-12", [T.defect(g: 2, k2: 0.5)]), try Self.hydraulicAlta("2024-04-01"),
        ])
        let raised = s.alerts.values.filter { $0.rule == "bridge.classRaised" }
        #expect(raised.count == 1 && raised[0].severity == .critical && raised[0].evidence.contains("→ Alta"))
        // The first inspection that classes a bridge Alta is a change from "not classifiable";
        // a census alone raises nothing.
        (_, s) = try Self.project([try Self.census()])
        #expect(!s.alerts.values.contains { $0.rule == "bridge.classRaised" })
        (_, s) = try Self.project([try Self.census(), try Self.inspection("2024-03-12", widespread)])
        let first = s.alerts.values.filter { $0.rule == "bridge.classRaised" }
        #expect(first.count == 1 && first[0].evidence.hasPrefix("overall CdA not classifiable → Alta"), "\(first.map(\.evidence))")
        // It has been acted on once the Level 4 the class calls for concludes.
        (_, s) = try Self.project([
            try Self.census(), try Self.inspection("2024-03-12", widespread),
            AssessmentConcluded(
                bridgeId: "MI0001", observedAt: "2024-05-01", level: 4, engineer: "x", outcome: .operable, loadLimitTonnes: nil, notes: nil),
        ])
        #expect(s.alerts.values.first { $0.rule == "bridge.classRaised" }?.resolution == "the assessment the class calls for has concluded")
    }

    @Test func anOutOfScopeBridgeWithACriticalDefectIsQueued() throws {
        var c = try Self.census()
        c.spans = 1
        c.spanLengths = [5.5]
        c.totalLength = 5.5  // ≤ 6 m: outside the Linee Guida, no class
        let (p, s) = try Self.project([c, try Self.inspection("2024-03-12", [T.defect(g: 5, k1: 1, k2: 1, ps: true)])])
        #expect(s.bridges["MI0001"]?.attention?.overall == nil)
        let q = p.safetyQueue(s, today: DomainTime.date("2024-06-01")!)
        #expect(q.map(\.step) == ["Level 4 (immediate)"] && q[0].overall == "not classifiable")
        #expect(q[0].reasons.contains { $0.contains("outside the Linee Guida") })
    }

    @Test func annexDIsQueuedAloneAndBesideAnotherRequirement() throws {
        let today = DomainTime.date("2024-12-01")!
        var (p, s) = try Self.project([try Self.census(postTensioned: true), try Self.inspection("2024-03-12", [T.defect(g: 2, k2: 0.5)])])
        var q = p.safetyQueue(s, today: today)
        #expect(q.map(\.step) == ["special inspection (Annex D)"])
        (p, s) = try Self.project([
            try Self.census(postTensioned: true, seismicMedium: true), try Self.inspection("2024-03-12", [T.defect(g: 3, k2: 0.5)]),
        ])
        q = p.safetyQueue(s, today: today)
        #expect(q.map(\.step) == ["Level 3"])
        #expect(q[0].reasons.contains { $0.hasPrefix("special inspection (Annex D)") } && q[0].reasons.contains { $0.hasPrefix("Level 3") })
        // The special inspection closes Annex D; "defects modest" asks for nothing more.
        (p, s) = try Self.project([
            try Self.census(postTensioned: true), try Self.inspection("2024-03-12", [T.defect(g: 2, k2: 0.5)]),
            SpecialInspectionConcluded(bridgeId: "MI0001", observedAt: "2024-05-20", inspector: "x", outcome: .defectsModest, tests: [], notes: nil),
        ])
        #expect(p.safetyQueue(s, today: today).isEmpty)
    }
}
