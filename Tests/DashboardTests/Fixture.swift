import Dashboard
import Foundation
import Projections

/// A small, fixed city for the view model and golden-file tests.
enum Fixture {
    static func alert(
        _ id: String, _ asset: String, severity: String, state: String = "firing", on day: String, acked: Bool = false, evidence: String = "evidence"
    ) -> AlertRow {
        let acks = acked ? #"[{"at":"2026-11-02T10:00:00Z","by":"ing. Bianchi","note":"crew sent"}]"# : "[]"
        let json = """
            {"id":"\(id)","asset":"\(asset)","rule":"\(id.split(separator: ".").dropFirst().first.map { "x." + $0 } ?? "x.rule")","severity":"\(severity)",
             "state":"\(state)","evidence":"\(evidence)","raisedOn":"\(day)","raisedPosition":\(id.count),"advisory":false,
             "acknowledgements":\(acks),"ruleSet":"x/v1"}
            """
        return try! JSONDecoder().decode(AlertRow.self, from: Data(json.utf8))
    }

    static let alerts: [AlertRow] = [
        alert(
            "bridge-MI0001.dangerousDefect.12", "bridge-MI0001", severity: "critical", on: "2026-10-01",
            evidence: "beam span 2 C.a.p._3 G5 PS; Level 4 required"),
        alert("bridge-MI0002.dataGap.40", "bridge-MI0002", severity: "info", on: "2025-03-01", evidence: "hydraulic risk 'to verify'"),
        alert("wastesite-WS0003.fire.77", "wastesite-WS0003", severity: "critical", on: "2026-11-20", acked: true, evidence: "fire (importante)"),
        alert("meter-SC0001-W1.leak.90", "meter-SC0001-W1", severity: "warning", on: "2026-11-25", evidence: "night minimum 0.8 m³/h for 3 nights"),
        alert("bridge-MI0003.dangerousDefect.5", "bridge-MI0003", severity: "critical", state: "resolved", on: "2024-01-10", evidence: "old"),
    ]

    static let points: [MapPoint] = [
        MapPoint(id: "bridge-MI0001", lon: 9.19, lat: 45.46, municipality: "Milano", label: "Alta", firingAlerts: 1),
        MapPoint(id: "bridge-MI0002", lon: 9.40, lat: 45.53, municipality: "Cassano d'Adda", label: "Media", firingAlerts: 1),
        MapPoint(id: "bridge-MI0003", lon: 8.90, lat: 45.35, municipality: "Abbiategrasso", label: "Bassa", firingAlerts: 0),
        MapPoint(id: "wastesite-WS0003", lon: 9.05, lat: 45.58, municipality: "Lainate", label: "alert", firingAlerts: 1),
        MapPoint(id: "building-SC0001", lon: 9.22, lat: 45.48, municipality: "Milano", label: "normal", firingAlerts: 0),
    ]

    static func safety() -> [SafetyRow] {
        let json = """
            [{"rank":1,"bridgeId":"MI0001","name":"Ponte 1","municipality":"Milano","overall":"Alta","provisional":false,"missing":[],"defectLevel":"Alta","step":"Level 4 (immediate)",
              "due":"2026-10-31","overdue":true,"reasons":["defect G4–5 with PS: static safety at risk","finding of 2026-10-01 (60 days ago)"],"advisory":true,"ruleSet":"bridges/v1"},
             {"rank":2,"bridgeId":"MI0002","name":"Ponte 2","municipality":"Cassano d'Adda","overall":"Medio-Alta","provisional":true,"missing":["form 28 (hydraulic)"],"defectLevel":"Media",
              "step":"Level 3","due":"2027-04-01","overdue":false,"reasons":["overall CdA Medio-Alta"],"advisory":true,"ruleSet":"bridges/v1"}]
            """
        return try! JSONDecoder().decode([SafetyRow].self, from: Data(json.utf8))
    }

    static func inspection() -> [InspectionRow] {
        let json = """
            [{"rank":1,"siteId":"WS0003","municipality":"Lainate","hazardGrade":"alto","score":9.5,"lastInspection":"2025-09-11",
              "followUpDue":"2025-10-11","openNonCompliances":["cpi"],"reasons":["hazard grade alto (+3.00)","follow-up overdue (+2.00)"],"daysSinceInspection":445,"advisory":true,"ruleSet":"wastesites/v1"}]
            """
        return try! JSONDecoder().decode([InspectionRow].self, from: Data(json.utf8))
    }

    static let asset = AssetDetail(
        id: "meter-SC0001-W1", summary: [("domain", "meter"), ("kind", "water"), ("lastValue", "1021.3")], why: [],
        defects: [], alerts: [alerts[3]],
        events: [
            .init(
                position: 10, type: "MeterInstalled", actor: "ing. Rossi", observedAt: "2026-11-01T00:00:00Z", recordedAt: "2026-11-01T08:00:00.1Z"),
            .init(
                position: 11, type: "MeterReadingsRecorded", actor: "gateway-7", observedAt: "2026-11-29T00:00:00Z",
                recordedAt: "2026-11-30T01:00:00.2Z"),
        ],
        hourly: (0..<168).map { Double(($0 % 24) < 6 ? 1 : 4) }, unit: "m³")

    static func state(width: Int = 80, height: Int = 24) -> DashState {
        var s = DashState(width: width, height: height)
        _ = s.update(.points(points))
        _ = s.update(.alerts(alerts))
        _ = s.update(.safety(safety()))
        _ = s.update(.inspection(inspection()))
        _ = s.update(.connection(up: true, "live"))
        return s
    }
}
