import Foundation

/// Census and inspection histories of the 517 bridges.
enum BridgeHistory {
    /// Annex C-like defect codes per material family with a fixed gravity weight G (demo only;
    /// the real table is Annex C of the Linee Guida).
    static let codes: [BridgeMaterial: [(String, Int)]] = [
        .reinforcedConcrete: [("Ca_1", 1), ("Ca_2", 2), ("Ca_3", 3), ("Ca_4", 3), ("Ca_5", 4), ("Ca_6", 4), ("Ca_7", 5), ("Ca_8", 2)],
        .prestressedConcrete: [("Cap_1", 1), ("Cap_2", 2), ("Cap_3", 3), ("Cap_4", 4), ("Cap_5", 5), ("Cap_6", 5), ("Cap_7", 3)],
        .steel: [("Ac_1", 1), ("Ac_2", 2), ("Ac_3", 3), ("Ac_4", 4), ("Ac_5", 5)],
        .masonry: [("Mu_1", 1), ("Mu_2", 2), ("Mu_3", 3), ("Mu_4", 4), ("Mu_5", 5)],
        .mixed: [("Mi_1", 1), ("Mi_2", 2), ("Mi_3", 3), ("Mi_4", 4), ("Mi_5", 5)],
        .other: [("Ap_1", 1), ("Ap_2", 2), ("Gi_1", 1), ("Gi_2", 2), ("Gi_3", 3)],
    ]

    struct Scheduled {
        var day: Date
        var kind: String
        var event: any DomainEvent
    }

    static func make(count: Int, seed: UInt64, end: Date, truth: inout [GroundTruth]) -> [Scheduled] {
        var out: [Scheduled] = []
        let towns = Municipalities.all
        for n in 1...count {
            let id = String(format: "MI%04d", n)
            var r = SeededRandom(seed: seed, label: "bridge-\(id)")
            let town = r.weighted(towns.map { ($0, $0.weight) })
            let material = r.weighted([
                (BridgeMaterial.reinforcedConcrete, 45.0), (.prestressedConcrete, 30), (.masonry, 12), (.steel, 8), (.mixed, 5),
            ])
            let scheme: StaticScheme =
                switch material {
                case .masonry: r.chance(0.8) ? .massiveArch : .thinArch
                case .prestressedConcrete: r.weighted([(.simplySupportedBeams, 60.0), (.boxGirder, 20), (.continuousBeams, 15), (.gerber, 5)])
                case .steel: r.weighted([(.simplySupportedBeams, 50.0), (.continuousBeams, 40), (.other, 10)])
                default: r.weighted([(.simplySupportedBeams, 45.0), (.simplySupportedSlab, 25), (.continuousBeams, 15), (.frame, 8), (.gerber, 7)])
                }
            let spans = r.weighted([(1, 40.0), (2, 20), (3, 20), (4, 8), (5, 6), (6, 3), (8, 2), (12, 1)])
            let spanLength = material == .masonry ? r.range(5...18) : r.range(6.5...42)
            let lengths = (0..<spans).map { _ in (spanLength * r.range(0.85...1.15) * 10).rounded() / 10 }
            let year: Int =
                material == .masonry ? r.int(1880...1950) : (material == .prestressedConcrete ? r.int(1958...2012) : r.int(1935...2018))
            let aadt = Int(r.weighted([(3000.0, 30.0), (9000, 35), (18000, 25), (32000, 10)]) * r.range(0.6...1.4))
            let censusDay = DomainTime.date(String(format: "2020-%02d-%02d", r.int(1...12), r.int(1...28)))!
            let postTensioned = material == .prestressedConcrete && scheme != .gerber && r.chance(0.5)
            let alternative = r.chance(0.7)
            // Draws added after the first version use their own stream, so the rest of a seed's
            // data set stays as it was.
            var h = SeededRandom(seed: seed, label: "bridge-history-\(id)")
            let crossing = r.weighted([(CrossingType.watercourse, 45.0), (.road, 30), (.railway, 10), (.terrainDiscontinuity, 10), (.builtUpArea, 5)])
            let drawnHydraulic = r.weighted([(RiskFlag.absent, 50.0), (.toVerify, 30), (.assessed, 20)])
            // Over water the census flags the hydraulic risk; elsewhere there is none. Across a
            // terrain discontinuity some bridges sit on a slope (T2) with a landslide risk.
            let hydraulicRisk: RiskFlag = crossing == .watercourse ? (drawnHydraulic == .toVerify ? .toVerify : .assessed) : .absent
            let onSlope = crossing == .terrainDiscontinuity && h.chance(0.3)
            let landslideRisk: RiskFlag = onSlope ? (h.chance(0.5) ? .assessed : .toVerify) : .absent
            // Seismic design is mandatory for new bridges here since NTC 2008 (in force mid-2009);
            // a few census records lack these inputs (a data gap the projection shows).
            let seismicDesign: Bool? = h.chance(0.03) ? nil : year >= 2009
            let vulnerabilityElements: Bool? = h.chance(0.03) ? nil : h.chance(year < 1980 ? 0.5 : 0.25)
            var census = BridgeCensused(
                bridgeId: id, observedAt: DomainTime.dayString(censusDay), iopCode: r.chance(0.8) ? String(format: "IOP-MI-%06d", n * 37) : nil,
                name: "Ponte \(n) di \(town.name)",
                road: r.chance(0.85) ? "SP \(r.int(1...240))" : "SS \(r.pick(["11", "33", "35", "36", "412", "415", "494", "525", "526", "527"]))",
                kmStart: (r.range(0...40) * 100).rounded() / 100, kmEnd: nil, municipality: town.name,
                location: GeoPoint(
                    lat: ((town.lat + r.range(-0.02...0.02)) * 1e5).rounded() / 1e5,
                    lon: ((town.lon + r.range(-0.025...0.025)) * 1e5).rounded() / 1e5,
                    elevation: (r.range(90...190)).rounded()),
                yearBuilt: year, yearBuiltPresumed: r.chance(0.3), lastMajorInterventionYear: r.chance(0.2) ? min(2019, year + r.int(15...50)) : nil,
                designCodeClass: year < 1952 ? .A : (year < 1990 ? .B : .C), material: material, staticScheme: scheme, spans: spans,
                spanLengths: lengths, totalLength: (lengths.reduce(0, +) * 10).rounded() / 10, deckWidth: (r.range(6...16) * 10).rounded() / 10,
                crossing: crossing,
                crossedFeatureClass: r.weighted([(Level3.alta, 20.0), (.media, 50), (.bassa, 30)]),
                roadClass: r.weighted([(RoadClass.A, 35.0), (.B, 30), (.C, 20), (.D, 10), (.E, 5)]), aadt: aadt,
                heavyVehicleShare: (r.range(0.03...0.2) * 100).rounded() / 100,
                commercialFrequency: aadt > 20000 ? .alta : (aadt > 8000 ? .media : .bassa), alternativeRoute: alternative,
                detourKm: alternative ? (r.range(1...15) * 10).rounded() / 10 : nil, frequentPedestrians: r.chance(0.25), deicingSalts: r.chance(0.8),
                strategic: r.chance(0.15), postTensioned: postTensioned, seismicAg: (r.range(0.035...0.07) * 1000).rounded() / 1000,
                subsoil: r.weighted([(SubsoilCategory.B, 40.0), (.C, 50), (.D, 10)]), topography: onSlope ? .T2 : .T1,
                hydraulicRisk: hydraulicRisk, landslideRisk: landslideRisk)
            census.seismicDesign = seismicDesign
            census.seismicVulnerabilityElements = vulnerabilityElements
            out.append(Scheduled(day: censusDay, kind: "bridge-census", event: census))
            out += riskForms(census, censusDay: censusDay, end: end, r: &h)
            var firstInspection: Date?
            var alarmingRuns: [Date] = []
            var previousAlarming = false

            // 1–5 yearly inspections, the last ones before the end of the data set.
            let inspections = r.int(1...5)
            let dangerousAt = r.chance(0.04) ? r.int(0...(inspections - 1)) : -1
            var condition = r.range(0.2...1.0)  // grows with age and over the years
            for k in 0..<inspections {
                // Yearly, the newest in the 11 months before the end (so a data set ending
                // yesterday is not one where every bridge is a year late).
                let back = Double(365 * (inspections - 1 - k) + r.int(10...330))
                _ = r.int(1...28)  // the day of month the first version drew: keeps the seed's other draws
                let day0 = end.addingTimeInterval(-86400 * back)
                let date = DomainTime.date(DomainTime.dayString(day0))!
                let year = DomainTime.calendar.component(.year, from: date)
                guard date > censusDay, date < end else { continue }
                condition = min(1.6, condition + r.range(0...0.15))
                var defects: [BridgeInspected.Defect] = []
                let rows = r.int(15...35)
                for _ in 0..<rows {
                    let element = r.weighted([
                        (StructuralElement.beam, 25.0), (.pier, 15), (.abutment, 15), (.deckSlab, 15), (.bearing, 10), (.joint, 10),
                        (.crossBeam, 5), (.accessory, 5),
                    ])
                    let family: BridgeMaterial =
                        [.bearing, .joint, .accessory].contains(element) ? .other : (codes[material] == nil ? .other : material)
                    let (code, g) = r.pick(codes[family]!)
                    let status = r.weighted([(DefectStatus.present, 55.0), (.notPresent, 38.5), (.notApplicable, 6), (.notDetectable, 0.5)])
                    let span = r.int(1...spans)
                    if defects.contains(where: { $0.element == element && $0.span == span && $0.code == code }) { continue }
                    let present = status == .present
                    let severe = present && g >= 4 && r.chance(0.2 * condition)
                    defects.append(
                        .init(
                            element: element, span: span, instance: nil, material: family == .other ? .other : material, code: code, status: status,
                            g: present ? g : nil, k1: present ? r.pick([0.2, 0.5, 1]) : nil,
                            k2: present ? (severe ? 1 : r.pick([0.2, 0.2, 0.5])) : nil, ps: present && g == 4 && severe && r.chance(0.3),
                            photos: present ? ["\(id)-\(year)-\(defects.count + 1).jpg"] : nil, notes: nil))
                }
                if k == dangerousAt {
                    let el: StructuralElement = r.pick([.beam, .pier, .abutment])
                    let (code, _) = (codes[material] ?? codes[.other]!).last!
                    defects.append(
                        .init(
                            element: el, span: r.int(1...spans), instance: "X1", material: material, code: code, status: .present, g: 5, k1: 1, k2: 1,
                            ps: true, photos: ["\(id)-\(year)-critical.jpg"], notes: "severe section loss; static safety at risk"))
                    truth.append(
                        GroundTruth(
                            kind: .dangerousDefect, stream: "bridge-\(id)", from: DomainTime.dayString(date), to: nil,
                            detail: "\(el.rawValue) \(code) G5 k2=1 PS"))
                }
                var critical: [BridgeInspected.CriticalElement] = []
                if scheme == .gerber {
                    critical.append(.init(type: .gerberHalfJoint, present: true, condition: criticalCondition(&r, &h), notes: nil))
                }
                if postTensioned {
                    critical.append(.init(type: .postTensionedCables, present: true, condition: criticalCondition(&r, &h, unknown: true), notes: nil))
                }
                let access = r.weighted([(InspectionAccess.full, 88.0), (.partial, 10), (.none, 2)])
                // What an engineer reads as calling for a Level 4: G5 at full intensity, G4–5 with
                // PS on a structural element, a critical element in poor condition.
                let alarming =
                    defects.contains { $0.element != .accessory && ($0.g ?? 0) >= 4 && ($0.ps || ($0.g == 5 && $0.k2 == 1)) }
                    || critical.contains { $0.condition == .poor }
                if alarming && !previousAlarming && k != dangerousAt { alarmingRuns.append(date) }
                previousAlarming = alarming
                if firstInspection == nil { firstInspection = date }
                out.append(
                    Scheduled(
                        day: date, kind: "bridge-inspection",
                        event: BridgeInspected(
                            bridgeId: id, observedAt: DomainTime.dayString(date), inspector: r.pick(Names.engineers), access: access,
                            spansInspected: access == .full ? spans : r.int(0...spans), bothElevations: access != .full || r.chance(0.97),
                            defects: defects,
                            criticalElements: critical, notes: nil)))
                if postTensioned && k == 0 {
                    let d2 = date.addingTimeInterval(86400 * Double(r.int(30...300)))
                    if d2 < end {
                        let outcome: SpecialInspectionOutcome = r.weighted([
                            (.defectsModest, 60.0), (.testsInconclusiveLevel4, 25), (.defectsRequireLevel4, 15),
                        ])
                        out.append(
                            Scheduled(
                                day: d2, kind: "bridge-special-inspection",
                                event: SpecialInspectionConcluded(
                                    bridgeId: id, observedAt: DomainTime.dayString(d2), inspector: r.pick(Names.engineers),
                                    outcome: outcome, tests: ["reflectometry", "endoscopy at anchorages"], notes: nil)))
                        if outcome != .defectsModest { out += level4(id, after: d2, end: end, r: &h, chance: 0.75) }
                    }
                }
                if k == dangerousAt {
                    let d3 = date.addingTimeInterval(86400 * Double(r.int(2...20)))
                    if d3 < end {
                        out.append(
                            traffic(
                                id, on: d3, .loadLimit, tonnes: Double(r.pick([3.5, 7.5, 12, 20])),
                                reason: "critical defect found at inspection of \(DomainTime.dayString(date))"))
                    }
                    // The Level 4 the finding requires, then the repair and the reopening.
                    let l4 = level4(id, after: date, end: end, r: &h, chance: 0.85)
                    out += l4
                    if let done = l4.first?.day, h.chance(0.7) {
                        let fixed = done.addingTimeInterval(86400 * Double(h.int(30...200)))
                        if fixed < end {
                            out.append(
                                intervention(
                                    id, on: fixed, .repair, "repair of the critical defect found on \(DomainTime.dayString(date))",
                                    costEUR: Double(h.int(40...400)) * 1000))
                            out.append(traffic(id, on: fixed.addingTimeInterval(86400), .reopening, tonnes: nil, reason: "repair completed"))
                        }
                    }
                }
            }
            // A realistic share of the stock has been through a Level 3, some on to a Level 4,
            // and some routine maintenance: the reference city is not a backlog of everything.
            for found in alarmingRuns { out += level4(id, after: found, end: end, r: &h, chance: 0.85, within: 20...150) }
            if let first = firstInspection, alarmingRuns.isEmpty {
                if h.chance(0.45) {
                    let l3 = first.addingTimeInterval(86400 * Double(h.int(60...420)))
                    if l3 < end {
                        let needs4 = h.chance(0.3)
                        out.append(
                            Scheduled(
                                day: l3, kind: "bridge-assessment",
                                event: AssessmentConcluded(
                                    bridgeId: id, observedAt: DomainTime.dayString(l3), level: 3, engineer: h.pick(Names.engineers),
                                    outcome: needs4 ? .level4Required : .level4NotRequired, loadLimitTonnes: nil, notes: nil)))
                        if needs4 { out += level4(id, after: l3, end: end, r: &h, chance: 0.8) }
                    }
                } else if h.chance(0.7) {
                    out += level4(id, after: first, end: end, r: &h, chance: 1)
                }
            }
            if let first = firstInspection, h.chance(0.3) {
                let m = first.addingTimeInterval(86400 * Double(h.int(20...500)))
                let what = h.pick(["joint sealing", "drainage cleaning", "bearing cleaning", "parapet repainting"])
                if m < end { out.append(intervention(id, on: m, .maintenance, what, costEUR: Double(h.int(2...40)) * 1000)) }
            }
        }
        return out
    }

    static func intervention(_ id: String, on day: Date, _ kind: InterventionKind, _ description: String, costEUR: Double) -> Scheduled {
        Scheduled(
            day: day, kind: "bridge-intervention",
            event: InterventionCompleted(bridgeId: id, observedAt: DomainTime.dayString(day), kind: kind, description: description, costEUR: costEUR))
    }

    static func traffic(_ id: String, on day: Date, _ measure: TrafficMeasure, tonnes: Double?, reason: String) -> Scheduled {
        Scheduled(
            day: day, kind: "bridge-traffic-measure",
            event: TrafficMeasureChanged(
                bridgeId: id, observedAt: DomainTime.dayString(day), measure: measure, loadLimitTonnes: tonnes, reason: reason))
    }

    /// A critical element's condition: mostly good, rarely poor (the first version drew them
    /// uniformly, which made a third of the Gerber and post-tensioned bridges Alto). `r` keeps
    /// its draw so the rest of the seed's data set stays as it was.
    static func criticalCondition(_ r: inout SeededRandom, _ h: inout SeededRandom, unknown: Bool = false) -> ElementCondition {
        _ = r.pick([0, 1, 2])
        return h.weighted([(ElementCondition.good, 70.0), (.fair, 24), (.poor, 3), (.unknown, unknown ? 3 : 0)])
    }

    /// A Level 4 concluded `days` after `after` (2–10 months unless said), with `chance`, if
    /// before the end.
    static func level4(
        _ id: String, after: Date, end: Date, r: inout SeededRandom, chance: Double, within days: ClosedRange<Int> = 60...300
    ) -> [Scheduled] {
        guard r.chance(chance) else { return [] }
        let day = after.addingTimeInterval(86400 * Double(r.int(days)))
        guard day < end else { return [] }
        let outcome: AssessmentOutcome = r.weighted([(.adequate, 40.0), (.operable, 45), (.passableWithLimits, 15)])
        return [
            Scheduled(
                day: day, kind: "bridge-assessment",
                event: AssessmentConcluded(
                    bridgeId: id, observedAt: DomainTime.dayString(day), level: 4, engineer: r.pick(Names.engineers), outcome: outcome,
                    loadLimitTonnes: outcome == .passableWithLimits ? Double(r.pick([7.5, 12, 20, 26])) : nil, notes: nil))
        ]
    }

    /// Forms 28 and 29 for the risks the census flags, filed in the 1–18 months after it (most
    /// of them: a few are still missing, which the projection shows as data gaps).
    static func riskForms(_ c: BridgeCensused, censusDay: Date, end: Date, r: inout SeededRandom) -> [Scheduled] {
        var out: [Scheduled] = []
        if c.hydraulicRisk != .absent && r.chance(0.92) {
            let day = censusDay.addingTimeInterval(86400 * Double(r.int(30...540)))
            if day < end {
                let deep = r.chance(0.6)
                let basin = r.weighted([(0, 40.0), (1, 40), (2, 20)])
                out.append(
                    Scheduled(
                        day: day, kind: "bridge-hydraulic-form",
                        event: HydraulicFormRecorded(
                            bridgeId: c.bridgeId, observedAt: DomainTime.dayString(day), inspector: r.pick(Names.engineers),
                            overtoppingHazard: r.weighted([(2, 10.0), (3, 30), (4, 35), (5, 25)]),
                            overtopping: .init(
                                debrisAccumulation: r.chance(0.2), vegetationTransport: r.chance(0.25), basinUnder100km2: basin == 0,
                                significantDeposits: r.chance(0.2), significantVegetation: r.chance(0.25), basinUnder500km2: basin == 1,
                                basinOver500km2: basin == 2),
                            generalErosionHazard: r.weighted([(3, 20.0), (4, 40), (5, 40)]),
                            generalErosion: .init(
                                shallowFoundations: !deep, generalBedLowering: r.chance(0.2), sharpBend: r.chance(0.15), deepFoundations: deep),
                            localErosionHazard: r.weighted([(2, 10.0), (3, 30), (4, 35), (5, 25)]),
                            localErosion: .init(
                                shallowFoundations: !deep, generalBedLowering: r.chance(0.2), debrisAtPiers: c.spans > 1 && r.chance(0.3),
                                lateralWandering: r.chance(0.1), deepFoundations: deep, toeProtection: r.chance(0.4), checkDam: r.chance(0.15)))))
            }
        }
        if c.landslideRisk != .absent && r.chance(0.9) {
            let day = censusDay.addingTimeInterval(86400 * Double(r.int(30...540)))
            if day < end {
                out.append(
                    Scheduled(
                        day: day, kind: "bridge-landslide-form",
                        event: LandslideFormRecorded(
                            bridgeId: c.bridgeId, observedAt: DomainTime.dayString(day), inspector: r.pick(Names.engineers),
                            activity: r.weighted([(.stabilised, 70.0), (.critical, 25), (.highlyCritical, 5)]),
                            maxVelocityClass: r.weighted([(5, 50.0), (4, 35), (3, 15)]), magnitudeClass: r.weighted([(5, 40.0), (4, 40), (3, 20)]),
                            reliability: r.chance(0.7) ? .good : .limited,
                            mitigation: r.weighted([(.stabilised, 40.0), (.monitored, 40), (.absent, 20)]),
                            structuralTypeClass: r.weighted([(3, 30.0), (4, 40), (5, 30)]),
                            interference: r.weighted([(.approachZone, 60.0), (.partial, 35), (.total, 5)]))))
            }
        }
        return out
    }
}

enum Names {
    static let engineers = [
        "ing. Giulia Ferrari", "ing. Marco Colombo", "ing. Luca Bianchi", "ing. Sara Galli", "ing. Paolo Conti", "ing. Elena Fontana",
        "ing. Davide Moretti", "ing. Chiara Villa", "geom. Andrea Riva", "ing. Francesca Longhi",
    ]
    static let police = [
        "ag. Luca Brambilla", "ag. Marta Sala", "isp. Giorgio Pozzi", "ag. Silvia Cattaneo", "comm. Roberto Mauri", "ag. Ilaria Ferri",
    ]
    static let operators = ["Recuperi", "Ecoservizi", "Ambiente", "Metalli", "Carta", "Plastiche", "Inerti", "Legno", "Green", "Eco"]
}
