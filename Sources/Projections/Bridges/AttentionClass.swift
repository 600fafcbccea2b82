import Domain
import Foundation

/// The Level 2 chain for one bridge: defect level → partial structural-foundational class →
/// overall class, with the trace of every table cell used (so an engineer can check it).
public struct AttentionClass: Codable, Sendable, Equatable {
    /// nil until an L1 inspection is recorded: a census alone has no defect level (brief §8).
    public var defectLevel: Int?
    public var structural: Int?
    public var seismicHazard: Int?
    public var seismic: Int?
    public var hydraulic: Int?
    public var landslide: Int?
    public var exposure: Int
    public var overall: Int?
    /// The overall class stands on less than it needs (a partial class not classifiable, an
    /// inspection that could not see everything): it may still get worse when that comes in.
    public var provisional: Bool
    /// What the class is waiting for, named: forms, census fields, inspection coverage.
    public var missing: [String]
    public var override: Bool
    public var outOfScope: Bool
    public var trace: [String]
    public var notClassifiable: [String]
}

extension BridgeRules {
    func name(_ c: Int) -> String { classes[max(1, min(5, c)) - 1] }

    /// Whether a defect row counts for the defect level (brief §3.2: structural elements only).
    func counts(_ d: BridgeInspected.Defect) -> Bool { defectLevelElements.map { $0.contains(d.element.rawValue) } ?? true }

    /// Defect level of an inspection (1 = Alto … 5 = Basso): the first rule that matches the rows
    /// that count, made worse by any present critical element as `criticalElementLevel` says.
    func defectLevel(_ defects: [BridgeInspected.Defect], critical: [BridgeInspected.CriticalElement] = []) -> Int {
        let rows = defects.filter(counts)
        var level = 5
        for rule in defectLevel.sorted(by: { $0.level < $1.level }) {
            if rule.anyOf.contains(where: { m in rows.contains(where: m.matches) }) {
                level = rule.level
                break
            }
            if let c = rule.orCountAtLeast, rows.filter(c.match.matches).count >= c.count {
                level = rule.level
                break
            }
        }
        for c in critical where c.present {
            if let l = criticalElementLevel?[c.condition.rawValue] { level = min(level, l) }
        }
        return level
    }

    /// What an inspection could not see (brief §8: "not accessible" is a knowledge limit, not
    /// an absence of defects); empty for a complete one or under a rule set without visits.
    func coverageGaps(_ i: BridgeInspected, spans: Int) -> [String] {
        guard coverageVisitDueDays != nil else { return [] }
        var gaps: [String] = []
        switch i.access {
        case .none: gaps.append("no access under the deck")
        case .partial: gaps.append("partial access under the deck")
        case .full: break
        }
        if i.spansInspected < spans { gaps.append("\(i.spansInspected) of \(spans) spans fully inspected") }
        if !i.bothElevations { gaps.append("one elevation not inspected") }
        let nr = i.defects.filter { counts($0) && $0.status == .notDetectable }
        if !nr.isEmpty {
            let where_ = Set(nr.map { "\($0.element.rawValue) span \($0.span)" }).sorted().prefix(4).joined(separator: ", ")
            gaps.append("\(nr.count) row\(nr.count == 1 ? "" : "s") not detectable (NR): \(where_)\(nr.count > 4 ? "…" : "")")
        }
        for c in i.criticalElements where c.present && c.condition == .unknown {
            gaps.append("critical element \(c.type.rawValue): condition unknown")
        }
        return gaps
    }

    func band(_ x: Double, _ thresholds: [Double]) -> Int { thresholds.firstIndex(where: { x <= $0 }) ?? thresholds.count }

    /// The longest-span band, each bound in its band or the next as the rule file says.
    func spanBand(_ x: Double) -> Int {
        let inclusive = spanBandsUpperInclusive ?? spanBandsMetres.map { _ in true }
        return spanBandsMetres.indices.first { x < spanBandsMetres[$0] || (inclusive[$0] && x == spanBandsMetres[$0]) } ?? spanBandsMetres.count
    }

    /// The chain of bridges.md §4.2 for one census record and defect level (nil: no L1
    /// inspection yet). Every input that is missing leaves its partial class not classifiable
    /// and the overall class provisional, with the missing piece named; nothing is assumed.
    public func attentionClass(
        census c: BridgeCensused, defectLevel dl: Int?, hydraulicForm: HydraulicFormRecorded? = nil, landslideForm: LandslideFormRecorded? = nil,
        coverageGaps: [String] = []
    ) throws(CannotApply) -> AttentionClass {
        var trace: [String] = []
        var gaps: [String] = []
        var missing: [String] = []
        let outOfScope = c.totalLength <= 6.0
        // Exposure.
        let tgm = exposure.aadtClass(c.aadt)
        let meanSpan = c.totalLength / Double(max(1, c.spans))
        let spanClass = meanSpan > exposure.meanSpanLargeAbove ? 1 : meanSpan > exposure.meanSpanMediumAbove ? 2 : 3
        var e = tgm + spanClass - 1
        if c.frequentPedestrians { e -= 1 }
        if !c.alternativeRoute { e -= 1 }
        if c.crossedFeatureClass == .alta { e -= 1 }
        if c.crossedFeatureClass == .bassa { e += 1 }
        e = max(1, min(5, e))
        let longest = c.spanLengths.max() ?? c.totalLength
        // Structural-foundational chain: needs the defect level of an L1 inspection.
        var sf: Int?
        if let dl {
            let freq = c.commercialFrequency == .alta ? "A" : c.commercialFrequency == .media ? "M" : "B"
            let p = hazard[freq]?[c.roadClass.rawValue] ?? 3
            trace.append("P = hazard[\(freq)][\(c.roadClass.rawValue)] = \(name(p))")
            let year = c.lastMajorInterventionYear ?? c.yearBuilt
            let period = year <= 1945 ? "pre1945" : year < 1980 ? "1945to1980" : "post1980"
            let v1 = try (periodVulnerability[period] ?? []).cell(dl, "periodVulnerability.\(period)")
            trace.append("V1 = \(period)[defect level \(name(dl))] = \(name(v1))")
            let codeTable = c.deicingSalts ? codeVulnerability.salts : codeVulnerability.noSalts
            let v2 = try (codeTable[c.designCodeClass.rawValue] ?? []).cell(v1, "codeVulnerability.\(c.designCodeClass.rawValue)")
            trace.append("V2 = \(c.deicingSalts ? "salts" : "noSalts").\(c.designCodeClass.rawValue)[V1] = \(name(v2))")
            let key = "\(c.material.rawValue).\(c.staticScheme.rawValue)"
            let row = schemeVulnerability[key] ?? schemeVulnerability["default"] ?? []
            let v4 = try row.cell(spanBand(longest) + 1, "schemeVulnerability.\(key)")
            trace.append(
                String(format: "V4 = scheme[%@][longest span %.1f m] = %@", schemeVulnerability[key] == nil ? "default" : key, longest, name(v4)))
            let v5 = c.spans > manySpansAbove ? max(1, v4 - 1) : v4
            trace.append("V5 = \(c.spans) spans → \(name(v5))")
            let v = try combinedVulnerability.cell(v5, "combinedVulnerability").cell(v2, "combinedVulnerability[V5]")
            trace.append("V = combined[V5][V2] = \(name(v))")
            trace.append(
                String(
                    format: "E = TGM %d + mean span %.0f m → %@ (pedestrians %@, alternative %@, crossed %@)", c.aadt, meanSpan, name(e),
                    c.frequentPedestrians ? "yes" : "no", c.alternativeRoute ? "yes" : "no", c.crossedFeatureClass.rawValue))
            sf = try structural(p, v, e)
            trace.append("CdA structural-foundational = T[P][V][E] = \(name(sf!))")
        } else {
            gaps.append("structural-foundational CdA: no L1 inspection (forms 1–27) is recorded, so the defect level is unknown")
            missing.append("L1 inspection (forms 1–27)")
        }
        // Seismic chain (§4.3): hazard from the census, vulnerability from the census's design
        // inputs and the defect level.
        // Exposure of the seismic, hydraulic and landslide classes: strategic bridges one worse.
        let se = c.strategic ? max(1, e - 1) : e
        let sz = seismic
        var sh = band(-c.seismicAg, sz.agBands.map { -$0 }) + 1
        if sz.topographyT4Worse && c.topography == .T4 { sh -= 1 }
        if sz.softSubsoils.contains(c.subsoil.rawValue) { sh -= 1 }
        sh = max(1, min(5, sh))
        trace.append(String(format: "seismic P: ag %.3f g, %@, subsoil %@ → %@", c.seismicAg, c.topography.rawValue, c.subsoil.rawValue, name(sh)))
        let seismicDesign = c.seismicDesign ?? (sz.assumeNonSeismicDesign == true ? false : nil)
        let vulnerabilityElements = c.seismicVulnerabilityElements ?? (sz.assumeVulnerabilityElements == true ? true : nil)
        var sCdA: Int?
        if let seismicDesign, let vulnerabilityElements, let dl {
            let hyper = sz.hyperstaticSchemes.contains(c.staticScheme.rawValue)
            let cell =
                sz.baseVulnerability[c.material.rawValue]?[hyper ? "hyper" : "iso"]?[longest > sz.longSpanAbove ? 1 : 0][c.spans > 1 ? 1 : 0] ?? 0
            var sv = cell == 0 ? sz.defaultBaseVulnerability : cell
            trace.append(
                "seismic V2_0 = \(c.material.rawValue), \(hyper ? "hyperstatic" : "isostatic"), \(longest > sz.longSpanAbove ? "long" : "short") span, \(c.spans > 1 ? "multi" : "single")-span → \(name(sv))\(cell == 0 ? " (no table cell: default)" : "")"
            )
            if vulnerabilityElements { sv = max(1, sv - 1) }
            if !seismicDesign { sv = max(1, sv - 1) }
            let assumed =
                c.seismicDesign == nil || c.seismicVulnerabilityElements == nil
                ? " (not in the census: unfavourable case assumed by this rule set)" : ""
            trace.append(
                "seismic V3 = \(name(sv)): vulnerability elements \(vulnerabilityElements ? "present" : "absent"), \(seismicDesign ? "seismic" : "non-seismic") design\(assumed)"
            )
            let svf = try sz.defectCombination.cell(sv, "seismic.defectCombination").cell(dl, "seismic.defectCombination[V]")
            sCdA = try structural(sh, svf, se)
            trace.append("seismic V = \(name(svf)); E = \(name(se))\(c.strategic ? " (strategic)" : ""); CdA seismic = T[P][V][E] = \(name(sCdA!))")
        } else if seismicDesign == nil || vulnerabilityElements == nil {
            let fields = [("seismicDesign", seismicDesign), ("seismicVulnerabilityElements", vulnerabilityElements)].filter { $0.1 == nil }.map(\.0)
            gaps.append("seismic CdA: the census lacks \(fields.joined(separator: " and ")) (brief §4.3)")
            missing += fields.map { "census \($0)" }
        }
        // Hydraulic (form 28) and landslide (form 29): exposure as for the seismic class.
        var hCdA: Int?
        if let h = hydraulicForm {
            hCdA = try hydraulicClass(h, exposure: se, trace: &trace)
        } else if c.hydraulicRisk != .absent {
            gaps.append("hydraulic CdA: census says '\(c.hydraulicRisk.rawValue)' but no L1 form 28 is recorded")
            missing.append("form 28 (hydraulic)")
        }
        var lCdA: Int?
        if let l = landslideForm {
            lCdA = try landslideClass(l, exposure: se, trace: &trace)
        } else if c.landslideRisk != .absent {
            gaps.append("landslide CdA: census says '\(c.landslideRisk.rawValue)' but no L1 form 29 is recorded")
            missing.append("form 29 (landslide)")
        }
        if !coverageGaps.isEmpty { missing.append("a complete L1 inspection (\(coverageGaps.joined(separator: "; ")))") }
        let override = dl == 1
        var overall: Int?
        if outOfScope {
            overall = nil
        } else if override {
            overall = 1
            trace.append("overall = Alta (override: defect level Alto)")
        } else if let sf {
            let worst = ([sf] + [sCdA, hCdA, lCdA].compactMap { $0 }).min()!
            overall = worst
            let parts = [("structural", Optional(sf)), ("seismic", sCdA), ("hydraulic", hCdA), ("landslide", lCdA)].compactMap { n, v in
                v.map { "\(n) \(name($0))" }
            }
            trace.append(
                "overall = worst of classifiable partial classes (\(parts.joined(separator: ", "))) = \(name(worst))\(missing.isEmpty ? "" : "; provisional, waiting for \(missing.joined(separator: ", "))")"
            )
        }
        var notClassifiable = gaps
        if outOfScope { notClassifiable.insert("total span ≤ 6 m: outside the Linee Guida scope", at: 0) }
        return AttentionClass(
            defectLevel: dl, structural: sf, seismicHazard: sh, seismic: sCdA, hydraulic: hCdA, landslide: lCdA, exposure: e,
            overall: overall, provisional: overall != nil && !override && !missing.isEmpty, missing: missing, override: override,
            outOfScope: outOfScope, trace: trace, notClassifiable: notClassifiable)
    }
}

extension BridgeRules {
    /// T[P][V][E] of the structural table, bounds-checked.
    func structural(_ p: Int, _ v: Int, _ e: Int) throws(CannotApply) -> Int {
        try structuralTable.cell(p, "structuralTable (P)").cell(v, "structuralTable[P] (V)").cell(e, "structuralTable[P][V] (E)")
    }

    /// Hydraulic CdA: overtopping and erosion each through T[P][V][E]; the more severe of the two.
    func hydraulicClass(_ h: HydraulicFormRecorded, exposure e: Int, trace: inout [String]) throws(CannotApply) -> Int {
        func count(_ xs: [Bool]) -> Int { xs.filter { $0 }.count }
        let o = h.overtopping
        var vo: [Int] = []
        let c13 = count([o.debrisAccumulation, o.vegetationTransport, o.basinUnder100km2])
        if c13 >= 2 { vo.append(1) }
        if c13 >= 1 { vo.append(2) }
        if count([o.significantDeposits, o.significantVegetation, o.basinUnder500km2]) >= 1 { vo.append(3) }
        if count([!o.significantDeposits, !o.significantVegetation, o.basinOver500km2]) >= 2 { vo.append(4) }
        if !o.significantDeposits && !o.significantVegetation && o.basinOver500km2 { vo.append(5) }
        let vOver = vo.min() ?? 3
        let g = h.generalErosion
        var vg: [Int] = []
        switch count([g.shallowFoundations, g.generalBedLowering, g.sharpBend]) {
        case 3: vg.append(1)
        case 2: vg.append(2)
        case 1: vg.append(3)
        default: break
        }
        if g.deepFoundations && (g.generalBedLowering || g.sharpBend) { vg.append(4) }
        if g.deepFoundations && !(g.generalBedLowering || g.sharpBend) { vg.append(5) }
        let vGen = vg.min() ?? 3
        let l = h.localErosion
        func local(checkDam: Bool) -> Int {
            var vl: [Int] = []
            let cl = count([l.shallowFoundations, l.generalBedLowering, l.debrisAtPiers, l.lateralWandering])
            if cl >= 3 { vl.append(1) }
            if cl == 2 { vl.append(2) }
            if cl == 1 { vl.append(3) }
            if l.deepFoundations && count([l.toeProtection, checkDam]) >= 2 { vl.append(4) }
            if l.deepFoundations && l.toeProtection { vl.append(5) }
            return vl.min() ?? 3
        }
        // A downstream check dam protects: it never worsens the class. The S10 reference code
        // gives deep foundations + toe protection Bassa and Medio-Bassa once a check dam is added;
        // that deviation is stated in the rule file's hydraulic note.
        let vLoc = l.checkDam ? max(local(checkDam: true), local(checkDam: false)) : local(checkDam: false)
        let over = try structural(h.overtoppingHazard, vOver, e)
        let gen = try structural(h.generalErosionHazard, vGen, e)
        let loc = try structural(h.localErosionHazard, vLoc, e)
        let erosion = try hydraulic.erosionCombination.cell(gen, "hydraulic.erosionCombination").cell(loc, "hydraulic.erosionCombination[general]")
        let result = min(over, erosion)
        trace.append(
            "hydraulic (form 28 of \(h.observedAt)): overtopping T[\(name(h.overtoppingHazard))][\(name(vOver))][\(name(e))] = \(name(over)); erosion general \(name(gen)), local \(name(loc)) → \(name(erosion)); CdA hydraulic = more severe = \(name(result))"
        )
        return result
    }

    /// Landslide CdA from form 29: susceptibility (instability, reliability, mitigation), vulnerability, exposure.
    func landslideClass(_ f: LandslideFormRecorded, exposure e: Int, trace: inout [String]) throws(CannotApply) -> Int {
        let a = (LandslideActivity.allCases.firstIndex(of: f.activity) ?? 0) + 1
        let inst = try landslide.instability.cell(a, "landslide.instability").cell(
            f.maxVelocityClass, "landslide.instability[activity] (velocity class)"
        )
        .cell(f.magnitudeClass, "landslide.instability[activity][velocity] (magnitude class)")
        let s1 = try landslide.reliability.cell(inst, "landslide.reliability").cell(
            f.reliability == .limited ? 1 : 2, "landslide.reliability[instability]")
        let p = try landslide.mitigation.cell(s1, "landslide.mitigation")
            .cell((LandslideMitigation.allCases.firstIndex(of: f.mitigation) ?? 0) + 1, "landslide.mitigation[reliability]")
        let v = try landslide.vulnerability.cell(f.structuralTypeClass, "landslide.vulnerability (structural type class)")
            .cell((LandslideInterference.allCases.firstIndex(of: f.interference) ?? 0) + 1, "landslide.vulnerability[type]")
        let cda = try landslide.cdaTable.cell(p, "landslide.cdaTable").cell(e, "landslide.cdaTable[P]").cell(v, "landslide.cdaTable[P][E]")
        trace.append(
            "landslide (form 29 of \(f.observedAt)): instability \(name(inst)), reliability \(f.reliability.rawValue) → \(name(s1)), mitigation \(f.mitigation.rawValue) → P \(name(p)); V \(name(v)); E \(name(e)); CdA landslide = \(name(cda))"
        )
        return cda
    }
}
