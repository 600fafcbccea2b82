@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// Issue 15 (bridges 6, 7, 10): what an inspection could not see is a knowledge gap with a
/// visit scheduled; a class missing a partial class is provisional, with the missing forms
/// named; only structural elements and critical elements feed the defect level.
@Suite("Bridges: knowledge gaps, provisional classes, what counts for the defect level")
struct BridgeKnowledgeGapTests {
    typealias T = BridgeProjectionTests
    typealias R = BridgeRequirementsTests

    @Test func anInspectionThatCouldNotSeeEverythingSchedulesAVisitAndRaisesADataGap() throws {
        var partial = try R.inspection("2024-03-12", [T.defect(g: 2, k2: 0.5)])
        partial.access = .partial
        partial.spansInspected = 1
        partial.defects.append(
            .init(
                element: .pier, span: 2, instance: nil, material: .reinforcedConcrete, code: "Ca_4", status: .notDetectable, g: nil, k1: nil, k2: nil,
                ps: false, photos: nil, notes: nil))
        var (p, s) = try R.project([try R.census(), partial])
        let b = try #require(s.bridges["MI0001"])
        let visit = try #require(b.needs.first { $0.kind == .completeInspection })
        #expect(visit.due == "2024-06-10")  // 90 days (rule file v3, advisory)
        #expect(visit.reason.contains("partial access under the deck") && visit.reason.contains("1 of 2 spans fully inspected"))
        #expect(visit.reason.contains("1 row not detectable (NR): pier span 2"))
        #expect(p.nextStep(b) == ("complete the L1 inspection", "2024-06-10"))
        // Not a safety assessment: the safety queue leaves it to the inspectors' overdue list.
        #expect(p.safetyQueue(s, today: DomainTime.date("2024-07-01")!).isEmpty)
        let overdue = p.overdueInspections(s, today: DomainTime.date("2024-07-01")!)
        #expect(overdue.map(\.step) == ["complete the L1 inspection"] && overdue.first?.due == "2024-06-10")
        // The class from what was seen is provisional, and a data-gap alert says what is missing.
        #expect(b.attention?.provisional == true && b.attention?.missing.contains { $0.hasPrefix("a complete L1 inspection") } == true)
        let gap = try #require(
            s.alerts.values.first { $0.rule == "bridge.dataGap" && $0.evidence.hasPrefix("inspection of 2024-03-12 could not see") })
        #expect(gap.state == .firing)
        // A complete visit closes both.
        (p, s) = try R.project([try R.census(), partial, try R.inspection("2024-05-02", [T.defect(g: 2, k2: 0.5)])])
        let after = try #require(s.bridges["MI0001"])
        #expect(!after.needs.contains { $0.kind == .completeInspection })
        #expect(s.alerts[gap.id]?.state == .resolved)
    }

    @Test func aCriticalElementOfUnknownConditionIsAGapAndOneInPoorConditionIsAlto() throws {
        let r = try T.rules()
        let poor = BridgeInspected.CriticalElement(type: .gerberHalfJoint, present: true, condition: .poor, notes: nil)
        let fair = BridgeInspected.CriticalElement(type: .gerberHalfJoint, present: true, condition: .fair, notes: nil)
        let absent = BridgeInspected.CriticalElement(type: .gerberHalfJoint, present: false, condition: .poor, notes: nil)
        #expect(r.defectLevel([], critical: [poor]) == 1)
        #expect(r.defectLevel([], critical: [fair]) == 3)
        #expect(r.defectLevel([T.defect(g: 4, k2: 1)], critical: [fair]) == 2)  // the worse of the two
        #expect(r.defectLevel([], critical: [absent]) == 5)
        var i = try R.inspection("2024-03-12", [])
        i.criticalElements = [.init(type: .postTensionedCables, present: true, condition: .unknown, notes: nil)]
        #expect(r.coverageGaps(i, spans: 2) == ["critical element postTensionedCables: condition unknown"])
        // Poor: the override, so an immediate Level 4 and its alert.
        i.criticalElements = [poor]
        let (_, s) = try R.project([try R.census(), i])
        #expect(s.bridges["MI0001"]?.needs.first?.kind == .immediateLevel4)
        #expect(s.alerts.values.contains { $0.rule == "bridge.immediateLevel4" && $0.state == .firing })
    }

    @Test func accessoriesDoNotCountForTheDefectLevel() throws {
        let r = try T.rules()
        let railing = T.defect(g: 5, k1: 1, k2: 1, ps: true, element: .accessory)
        #expect(r.defectLevel([railing]) == 5)
        #expect(r.defectLevel([T.defect(g: 5, k1: 1, k2: 1, ps: true, element: .beam)]) == 1)
        let (_, s) = try R.project([try R.census(), try R.inspection("2024-03-12", [railing])])
        #expect(s.bridges["MI0001"]?.needs.isEmpty == true)
        #expect(!s.alerts.values.contains { $0.rule == "bridge.dangerousDefect" || $0.rule == "bridge.immediateLevel4" })
        // The v2 rule set counted every row (as-of replays under it agree with their time).
        let v2 = try RuleSetLoader.load(BridgeRules.self, name: "bridges", version: 2, directory: Paths.rules)
        #expect(v2.defectLevel([railing]) == 1)
    }

    @Test func aMissingPartialClassMakesTheClassProvisionalInTheQueueToo() throws {
        // An "assessed" hydraulic risk without its form is a gap as much as "to verify".
        var census = try R.census(seismicMedium: true)
        census.hydraulicRisk = .assessed
        let (p, s) = try R.project([census, try R.inspection("2024-03-12", [T.defect(g: 3, k2: 0.5)])])
        let b = try #require(s.bridges["MI0001"])
        #expect(b.attention?.provisional == true && b.attention?.missing == ["form 28 (hydraulic)"])
        #expect(s.alerts.values.contains { $0.rule == "bridge.dataGap" && $0.evidence.hasPrefix("hydraulic CdA: census says 'assessed'") })
        let q = try #require(p.safetyQueue(s, today: DomainTime.date("2024-06-01")!).first)
        #expect(q.provisional && q.missing == ["form 28 (hydraulic)"])
        #expect(q.reasons.contains { $0.contains("(provisional: waiting for form 28 (hydraulic))") })
    }

    @Test func aCheckDamNeverWorsensLocalErosion() throws {
        let r = try T.rules()
        var f = try JSONDecoder().decode(HydraulicFormRecorded.self, from: try Paths.example("HydraulicFormRecorded.v1"))
        f.localErosion = .init(
            shallowFoundations: false, generalBedLowering: false, debrisAtPiers: false, lateralWandering: false, deepFoundations: true,
            toeProtection: true, checkDam: false)
        f.overtoppingHazard = 5
        f.generalErosionHazard = 5
        f.localErosionHazard = 1
        var trace: [String] = []
        let without = try r.hydraulicClass(f, exposure: 1, trace: &trace)
        f.localErosion.checkDam = true
        let with = try r.hydraulicClass(f, exposure: 1, trace: &trace)
        #expect(with >= without)
    }
}
