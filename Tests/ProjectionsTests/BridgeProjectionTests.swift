@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// The test vectors of bridges.md §7.
@Suite("Bridges: Class of Attention and safety queue")
struct BridgeProjectionTests {
    static func rules() throws -> BridgeRules { try RuleSetLoader.load(BridgeRules.self, name: "bridges", directory: Paths.rules) }

    static func census(_ edit: (inout BridgeCensused) -> Void = { _ in }) throws -> BridgeCensused {
        var c = try JSONDecoder().decode(BridgeCensused.self, from: try Paths.example("BridgeCensused.v1"))
        edit(&c)
        return c
    }

    static func defect(g: Int, k1: Double = 0.5, k2: Double, ps: Bool = false, element: StructuralElement = .beam) -> BridgeInspected.Defect {
        .init(
            element: element, span: 1, instance: nil, material: .reinforcedConcrete, code: "Ca_\(g)", status: .present, g: g, k1: k1, k2: k2, ps: ps,
            photos: nil, notes: nil)
    }

    /// The catalogue's example inspection with nothing left unseen: full access, every span and
    /// elevation, no NR row, the critical element in good condition.
    static func completeInspection() throws -> BridgeInspected {
        var i = try JSONDecoder().decode(BridgeInspected.self, from: try Paths.example("BridgeInspected.v1"))
        i.access = .full
        i.spansInspected = 3
        i.bothElevations = true
        i.defects.removeAll { $0.status == .notDetectable }
        i.criticalElements = i.criticalElements.map {
            var c = $0; c.condition = .good; return c
        }
        return i
    }

    @Test func defectLevelRule() throws {
        let r = try Self.rules()
        #expect(r.defectLevel([]) == 5)
        #expect(r.defectLevel([Self.defect(g: 2, k2: 1)]) == 5)
        #expect(r.defectLevel([Self.defect(g: 3, k2: 0.5)]) == 4)
        #expect(r.defectLevel([Self.defect(g: 3, k2: 1)]) == 3)
        #expect(r.defectLevel([Self.defect(g: 4, k2: 1)]) == 2)
        #expect(r.defectLevel([Self.defect(g: 5, k2: 0.5)]) == 2)
        #expect(r.defectLevel([Self.defect(g: 5, k2: 0.5, ps: true)]) == 1)
        #expect(r.defectLevel([Self.defect(g: 5, k2: 1)]) == 1)
        #expect(r.defectLevel((0..<3).map { _ in Self.defect(g: 4, k1: 1, k2: 1) }) == 1)
    }

    @Test func vector8_allFavourableGivesBassa() throws {
        let r = try Self.rules()
        let c = try Self.census {
            $0.yearBuilt = 1990; $0.lastMajorInterventionYear = nil; $0.designCodeClass = .C; $0.deicingSalts = false
            $0.material = .reinforcedConcrete; $0.staticScheme = .simplySupportedBeams; $0.spans = 2; $0.spanLengths = [4.5, 4.5]; $0.totalLength = 9
            $0.commercialFrequency = .bassa; $0.roadClass = .D; $0.aadt = 8000; $0.frequentPedestrians = false; $0.alternativeRoute = true
            $0.crossedFeatureClass = .bassa; $0.hydraulicRisk = .absent
        }
        let a = try r.attentionClass(census: c, defectLevel: 5)
        #expect(a.structural == 5)
        #expect(a.exposure == 5)  // vector 5
        #expect(a.trace.contains("V1 = post1980[defect level Bassa] = Medio-Bassa"))
        #expect(a.trace.contains("V2 = noSalts.C[V1] = Bassa"))
        #expect(a.trace.contains("V = combined[V5][V2] = Bassa"))
        #expect(a.trace.contains("P = hazard[B][D] = Bassa"))
        // Overall = worst of the classifiable partial classes (structural and seismic; vector 13's rule).
        #expect(a.seismic != nil && a.overall == min(a.structural!, a.seismic!))
        #expect(a.trace.contains(where: { $0.hasPrefix("seismic V3") && $0.hasSuffix("vulnerability elements present, non-seismic design") }))
        #expect(!a.provisional && a.missing.isEmpty)
    }

    /// Issue 15, bridges 8: the seismic class reads the census's design inputs; without them it
    /// is not classifiable (v1–v2 assumed both unfavourable) and the overall class is provisional.
    @Test func seismicClassNeedsTheCensusDesignInputs() throws {
        let r = try Self.rules()
        let favourable = try r.attentionClass(
            census: try Self.census {
                $0.seismicDesign = true; $0.seismicVulnerabilityElements = false
            }, defectLevel: 5)
        let unfavourable = try r.attentionClass(
            census: try Self.census {
                $0.seismicDesign = false; $0.seismicVulnerabilityElements = true
            }, defectLevel: 5)
        #expect(try #require(favourable.seismic) >= (try #require(unfavourable.seismic)))
        #expect(favourable.trace.contains { $0.hasSuffix("vulnerability elements absent, seismic design") })
        let missing = try r.attentionClass(
            census: try Self.census {
                $0.seismicDesign = nil; $0.seismicVulnerabilityElements = nil
            }, defectLevel: 5)
        #expect(missing.seismic == nil && missing.structural != nil)
        #expect(missing.provisional && missing.overall == min(missing.structural!, 5))
        #expect(missing.missing.contains("census seismicDesign") && missing.missing.contains("census seismicVulnerabilityElements"))
        #expect(missing.notClassifiable.contains { $0.hasPrefix("seismic CdA: the census lacks seismicDesign and seismicVulnerabilityElements") })
        // v2 still assumes the unfavourable case (as-of replays under the old rule set agree with their time).
        let v2 = try RuleSetLoader.load(BridgeRules.self, name: "bridges", version: 2, directory: Paths.rules)
        let old = try v2.attentionClass(
            census: try Self.census {
                $0.seismicDesign = nil; $0.seismicVulnerabilityElements = nil
            }, defectLevel: 5)
        #expect(old.seismic == unfavourable.seismic)
        #expect(old.trace.contains { $0.contains("unfavourable case assumed") })
    }

    /// Issue 15, bridges 3: a census alone has no defect level, so no structural or overall
    /// class: "not classifiable" with the reason, never the favourable Basso assumed before.
    @Test func aCensusAloneIsNotClassifiable() throws {
        let r = try Self.rules()
        let a = try r.attentionClass(census: try Self.census(), defectLevel: nil)
        #expect(a.defectLevel == nil && a.structural == nil && a.seismic == nil && a.overall == nil && !a.provisional)
        #expect(a.notClassifiable.contains { $0.contains("no L1 inspection (forms 1–27) is recorded") })
        let p = BridgeProjection(rules: r)
        var feeder = Feeder(p)
        try feeder.feed(try Self.census())
        try feeder.feed(
            try Self.census {
                $0.bridgeId = "MI0002"; $0.postTensioned = false
            })
        let b = try #require(feeder.state.bridges["MI0002"])
        #expect(b.attention?.overall == nil && p.nextStep(b).step == "first inspection")
        // Post-tensioned MI0001 needs its Annex D even before it can be classified.
        #expect(p.safetyQueue(feeder.state, today: Date()).contains { $0.bridgeId == "MI0001" && $0.overall == "not classifiable" })
        #expect(
            feeder.state.alerts.values.contains { $0.rule == "bridge.dataGap" && $0.evidence.hasPrefix("no L1 inspection") && $0.state == .firing })
    }

    @Test func vector9_oldPrestressedWithSaltsGivesAlta() throws {
        let r = try Self.rules()
        let c = try Self.census {
            $0.yearBuilt = 1965; $0.lastMajorInterventionYear = nil; $0.designCodeClass = .A; $0.deicingSalts = true
            $0.material = .prestressedConcrete; $0.staticScheme = .simplySupportedBeams; $0.spans = 4; $0.spanLengths = [26, 26, 26, 26];
            $0.totalLength = 104
            $0.commercialFrequency = .alta; $0.roadClass = .A
        }
        let a = try r.attentionClass(census: c, defectLevel: 3)
        #expect(a.trace.contains("V1 = 1945to1980[defect level Media] = Media"))
        #expect(a.trace.contains("V2 = salts.A[V1] = Medio-Alta"))
        #expect(a.trace.contains(where: { $0.hasPrefix("V4 = scheme[prestressedConcrete.simplySupportedBeams]") && $0.hasSuffix("= Medio-Alta") }))
        #expect(a.trace.contains("V5 = 4 spans → Alta"))
        #expect(a.structural == 1)
    }

    @Test func vector3_overrideAndVector1_scope() throws {
        let r = try Self.rules()
        let c = try Self.census {
            $0.roadClass = .E; $0.aadt = 5000; $0.spanLengths = [6, 6, 6]; $0.totalLength = 18; $0.alternativeRoute = true;
            $0.commercialFrequency = .bassa
        }
        let a = try r.attentionClass(census: c, defectLevel: 1)
        #expect(a.override && a.overall == 1)
        let small = try r.attentionClass(
            census: try Self.census {
                $0.spans = 1; $0.spanLengths = [5.5]; $0.totalLength = 5.5
            }, defectLevel: 5)
        #expect(small.outOfScope && small.overall == nil)
    }

    @Test func vectors4_6_10_andTableProperties() throws {
        let r = try Self.rules()
        let big = try r.attentionClass(
            census: try Self.census {
                $0.aadt = 30000; $0.spans = 1; $0.spanLengths = [60]; $0.totalLength = 60
            }, defectLevel: 5)
        #expect(big.trace.contains(where: { $0.contains("TGM 30000") }))
        #expect(big.exposure == 1)
        #expect(r.hazard["A"]?["A"] == 1)  // vector 6
        let seismic = try r.attentionClass(
            census: try Self.census {
                $0.seismicAg = 0.045; $0.topography = .T1; $0.subsoil = .B
            }, defectLevel: 5)
        #expect(seismic.seismicHazard == 5)
        let seismic2 = try r.attentionClass(
            census: try Self.census {
                $0.seismicAg = 0.06; $0.subsoil = .C
            }, defectLevel: 5)
        #expect(seismic2.seismicHazard == 3)
        // Vector 7: corners, and no single-key worsening ever improves the class.
        let t = r.structuralTable
        #expect(t[4][4][4] == 5 && t[0][0][0] == 1)
        for p in 0..<5 {
            for v in 0..<5 {
                for e in 0..<5 {
                    if p > 0 { #expect(t[p - 1][v][e] <= t[p][v][e]) }
                    if v > 0 { #expect(t[p][v - 1][e] <= t[p][v][e]) }
                    if e > 0 { #expect(t[p][v][e - 1] <= t[p][v][e]) }
                }
            }
        }
    }

    @Test func formsTwentyEightAndTwentyNineGiveTheHydraulicAndLandslideClasses() throws {
        let r = try Self.rules()
        let p = BridgeProjection(rules: r)
        var feeder = Feeder(p)
        func feed(_ e: any DomainEvent) throws { try feeder.feed(e) }
        func hydraulicGap() -> AlertRecord.State? {
            feeder.state.alerts.values.first { $0.rule == "bridge.dataGap" && $0.evidence.hasPrefix("hydraulic CdA") }?.state
        }
        try feed(try Self.census())  // hydraulic risk "to verify": data gap
        try feed(try Self.completeInspection())
        #expect(feeder.state.bridges["MI0001"]?.attention?.hydraulic == nil)
        #expect(feeder.state.bridges["MI0001"]?.attention?.provisional == true)
        #expect(feeder.state.bridges["MI0001"]?.attention?.missing == ["form 28 (hydraulic)"])
        #expect(hydraulicGap() == .firing)
        try feed(try JSONDecoder().decode(HydraulicFormRecorded.self, from: try Paths.example("HydraulicFormRecorded.v1")))
        try feed(try JSONDecoder().decode(LandslideFormRecorded.self, from: try Paths.example("LandslideFormRecorded.v1")))
        let a = try #require(feeder.state.bridges["MI0001"]?.attention)
        let h = try #require(a.hydraulic)
        let l = try #require(a.landslide)
        #expect(a.overall == [a.structural!, a.seismic!, h, l].min())
        #expect(a.trace.contains { $0.hasPrefix("hydraulic (form 28 of 2024-03-12)") && $0.hasSuffix("more severe = \(r.name(h))") })
        #expect(l == 5 || l == 4)  // stabilised, slow, small, approach zone only: low
        #expect(hydraulicGap() == .resolved && a.provisional == false)
        // Vector 12.s rule: the hydraulic class is the more severe of overtopping and erosion.
        var f = try JSONDecoder().decode(HydraulicFormRecorded.self, from: try Paths.example("HydraulicFormRecorded.v1"))
        f.overtoppingHazard = 1
        f.generalErosionHazard = 5
        f.localErosionHazard = 5
        var trace: [String] = []
        let v12 = try r.hydraulicClass(f, exposure: 3, trace: &trace)
        #expect(trace[0].contains("CdA hydraulic = more severe"))
        #expect(trace[0].contains("overtopping T[Alta][Medio-Alta][Media] = Medio-Alta"))
        #expect(v12 == 1)  // erosion here is Alta (local erosion on shallow foundations with debris), more severe than overtopping
    }

    @Test func inspectionsDriveTheQueueAlertsAndNextSteps() throws {
        let r = try Self.rules()
        let p = BridgeProjection(rules: r)
        var feeder = Feeder(p)
        func feed(_ e: any DomainEvent) throws { try feeder.feed(e) }
        try feed(try Self.census())
        try feed(
            try Self.census {
                $0.bridgeId = "MI0002"; $0.postTensioned = false; $0.aadt = 3000
            })
        var inspection = try JSONDecoder().decode(BridgeInspected.self, from: try Paths.example("BridgeInspected.v1"))
        try feed(inspection)  // G4 k2=1 PS: immediate Level 4
        inspection.bridgeId = "MI0002"
        inspection.defects = [Self.defect(g: 5, k1: 1, k2: 1, ps: true)]
        try feed(inspection)  // dangerous defect
        let q = p.safetyQueue(feeder.state, today: DomainTime.date("2024-06-01")!)
        #expect(q.map(\.bridgeId).sorted() == ["MI0001", "MI0002"])
        #expect(q.allSatisfy { $0.step == "Level 4 (immediate)" && $0.due == "2024-04-11" && $0.overdue })
        // The example census has hydraulic risk "to verify": a data-gap alert, not a favourable default.
        #expect(
            Set(feeder.state.alerts.values.filter { $0.rule == "bridge.dataGap" && $0.evidence.hasPrefix("hydraulic") }.map(\.asset)) == [
                "bridge-MI0001", "bridge-MI0002",
            ])
        // Overdue periodic inspections (frequencies per class from the advisory rule set).
        let overdue = p.overdueInspections(feeder.state, today: DomainTime.date("2024-12-01")!)
        #expect(Set(overdue.map(\.bridgeId)) == ["MI0001", "MI0002"])
        #expect(overdue.map(\.daysOverdue) == overdue.map(\.daysOverdue).sorted(by: >))  // most overdue first
        let danger = feeder.state.alerts.values.filter { $0.rule == "bridge.dangerousDefect" }
        #expect(danger.map(\.asset) == ["bridge-MI0002"])
        // An L4 outcome clears the requirement and resolves the alert.
        try feed(
            AssessmentConcluded(
                bridgeId: "MI0002", observedAt: "2024-05-01", level: 4, engineer: "x", outcome: .passableWithLimits, loadLimitTonnes: 12, notes: nil))
        #expect(p.safetyQueue(feeder.state, today: DomainTime.date("2024-06-01")!).map(\.bridgeId) == ["MI0001"])
        #expect(feeder.state.alerts.values.first { $0.rule == "bridge.dangerousDefect" }?.state == .resolved)
        // Annex D outcome "tests inconclusive" (vector 11) requires Level 4.
        try feed(
            SpecialInspectionConcluded(
                bridgeId: "MI0002", observedAt: "2024-05-20", inspector: "x", outcome: .testsInconclusiveLevel4, tests: [], notes: nil))
        #expect(p.nextStep(feeder.state.bridges["MI0002"]!).step == "Level 4")
    }
}
