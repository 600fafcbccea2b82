import Foundation

/// Registry and inspection histories of the 703 waste storage/treatment sites.
enum WasteSiteHistory {
    static let eerPools: [(codes: [String], combustible: Bool)] = [
        (["150101", "200101"], true), (["150102", "191204"], true), (["150103", "170201"], true), (["160103"], true),
        (["191212"], true), (["170504", "170107"], false), (["170405", "191202"], false), (["200307"], true), (["160601*", "160211*"], false),
    ]

    /// Items whose non-compliance is critical: an alert and a follow-up within 30 days.
    static let critical: [ChecklistItem] = [.quantity, .fireEquipment, .detection, .pileLimits]

    static func make(count: Int, seed: UInt64, end: Date, truth: inout [GroundTruth]) -> [BridgeHistory.Scheduled] {
        var out: [BridgeHistory.Scheduled] = []
        let towns = Municipalities.all
        for n in 1...count {
            let id = String(format: "WS%04d", n)
            var r = SeededRandom(seed: seed, label: "wastesite-\(id)")
            let town = r.weighted(towns.map { ($0, $0.weight) })
            let high = r.chance(0.49)
            let areaCount = r.int(1...5)
            var areas: [WasteSiteRegistered.Area] = []
            var combustibleTonnes = 0.0
            var total = 0.0
            for a in 1...areaCount {
                let pool = r.pick(eerPools)
                let tonnes = (r.range(20...(high ? 900 : 250))).rounded()
                areas.append(.init(areaId: "A\(a)", eerCodes: pool.codes, authorisedTonnes: tonnes))
                total += tonnes
                if pool.combustible { combustibleTonnes += tonnes }
            }
            let registeredDay = DomainTime.date(String(format: "2018-%02d-%02d", r.int(1...12), r.int(1...28)))!
            let footprint = (r.range(800...(high ? 25000 : 6000))).rounded()
            var site = WasteSiteRegistered(
                siteId: id, observedAt: DomainTime.dayString(registeredDay),
                operatorName: "\(r.pick(Names.operators)) \(town.name.split(separator: " ").first ?? "") S.r.l.", municipality: town.name,
                location: GeoPoint(
                    lat: ((town.lat + r.range(-0.02...0.02)) * 1e5).rounded() / 1e5, lon: ((town.lon + r.range(-0.025...0.025)) * 1e5).rounded() / 1e5
                ),
                authorisation: r.weighted([(Authorisation.art208, 60.0), (.art216, 30), (.aia, 10)]),
                operations: r.chance(0.5) ? ["R13"] : ["R13", r.pick(["R3", "R4", "R5", "R12"]), "D15"], areas: areas,
                combustibleShare: total > 0 ? (combustibleTonnes / total * 100).rounded() / 100 : 0, footprintM2: footprint,
                indoorM2: r.chance(0.6) ? (footprint * r.range(0.1...0.6)).rounded() : nil,
                cpiStatus: r.weighted([(CPIStatus.valid, 70.0), (.notRequired, 15), (.expired, 10), (.missing, 5)]),
                hazardGrade: high ? .alto : r.weighted([(HazardGrade.medio, 50.0), (.basso, 50)]))
            // DM 26/7/2022 status (own stream: the rest of the seed's data set stays as it was).
            var h = SeededRandom(seed: seed, label: "wastesite-fire-rule-\(id)")
            site.fireRuleAdaptation =
                site.cpiStatus == .valid ? (h.chance(0.7) ? .exempt : .adapted) : h.weighted([(FireRuleAdaptation.adapting, 70.0), (.adapted, 30)])
            if h.chance(0.05) { site.fireRuleAdaptation = nil }
            out.append(.init(day: registeredDay, kind: "wastesite", event: site))

            // Inspections: 1–3 a year from 2019, more for high-risk sites; some sites are sloppy.
            let sloppiness = r.chance(0.25) ? r.range(0.15...0.45) : r.range(0...0.04)
            var day = DomainTime.date("2019-05-01")!.addingTimeInterval(86400 * Double(r.int(0...200)))
            while day < end {
                var items: [String: WasteSiteInspected.Check] = [:]
                var failed: [ChecklistItem] = []
                for item in ChecklistItem.allCases {
                    var outcome: CheckOutcome = r.chance(0.03) ? .nonVerificabile : .conforme
                    if item == .cpi && (site.cpiStatus == .expired || site.cpiStatus == .missing) { outcome = .nonConforme }
                    if [.quantity, .fireEquipment, .detection, .videoSurveillance, .pileLimits].contains(item) && r.chance(sloppiness) {
                        outcome = .nonConforme
                    }
                    if outcome == .nonConforme { failed.append(item) }
                    items[item.rawValue] = .init(outcome: outcome, note: outcome == .nonConforme ? "see photos" : nil)
                }
                let over = failed.contains(.quantity)
                let measured = areas.map { a in
                    WasteSiteInspected.Measured(
                        areaId: a.areaId,
                        tonnes: (a.authorisedTonnes * (over && a.areaId == "A1" ? r.range(1.1...1.6) : r.range(0.3...0.95))).rounded())
                }
                out.append(
                    .init(
                        day: day, kind: "wastesite-inspection",
                        event: WasteSiteInspected(
                            siteId: id, observedAt: DomainTime.dayString(day), inspector: r.pick(Names.police),
                            body: "Polizia Locale di \(town.name)",
                            items: items, measured: measured, photos: ["\(id)-\(DomainTime.dayString(day)).jpg"])))
                if !failed.isEmpty {
                    truth.append(
                        GroundTruth(
                            kind: .nonCompliance, stream: "wastesite-\(id)", from: DomainTime.dayString(day), to: nil,
                            detail: failed.map(\.rawValue).sorted().joined(separator: ",")))
                    let criticalFailed = failed.filter { critical.contains($0) }
                    if !criticalFailed.isEmpty && r.chance(0.7) {
                        let f = day.addingTimeInterval(86400 * Double(r.int(7...35)))
                        if f < end {
                            let fixed = criticalFailed.filter { _ in r.chance(0.8) }
                            out.append(
                                .init(
                                    day: f, kind: "wastesite-follow-up",
                                    event: WasteSiteFollowUpRecorded(
                                        siteId: id, observedAt: DomainTime.dayString(f), inspector: r.pick(Names.police), resolvedItems: fixed,
                                        stillOpenItems: criticalFailed.filter { !fixed.contains($0) }, notes: nil)))
                        }
                    }
                    if r.chance(0.35) {
                        let s = day.addingTimeInterval(86400 * Double(r.int(1...20)))
                        if s < end {
                            out.append(
                                .init(
                                    day: s, kind: "wastesite-sanction",
                                    event: WasteSiteSanctioned(
                                        siteId: id, observedAt: DomainTime.dayString(s), authority: "Città metropolitana di Milano - Settore Rifiuti",
                                        items: failed, amountEUR: Double(r.int(1...20) * 500), reason: "non-compliance found at inspection")))
                        }
                    }
                }
                day = day.addingTimeInterval(86400 * Double(high ? r.int(120...240) : r.int(240...480)))
            }
            // Fires: rarer on tidy sites.
            var fireDay = DomainTime.date("2019-01-01")!
            while true {
                fireDay = fireDay.addingTimeInterval(86400 * Double(r.int(1500...15000)) * (1 - sloppiness))
                let at = fireDay.addingTimeInterval(Double(r.int(0...86399)))
                guard at < end else { break }
                let severity: FireSeverity = r.chance(0.3) ? .importante : .lieve
                out.append(
                    .init(
                        day: fireDay, kind: "wastesite-fire",
                        event: WasteSiteFireReported(
                            siteId: id, observedAt: DomainTime.timestampString(at), severity: severity, description: "fire in a storage area")))
                truth.append(
                    GroundTruth(kind: .fire, stream: "wastesite-\(id)", from: DomainTime.timestampString(at), to: nil, detail: severity.rawValue))
            }
        }
        return out
    }
}
