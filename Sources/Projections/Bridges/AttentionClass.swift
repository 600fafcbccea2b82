import Domain
import Foundation

/// The Level 2 chain for one bridge: defect level → partial structural-foundational class →
/// overall class, with the trace of every table cell used (so an engineer can check it).
public struct AttentionClass: Codable, Sendable, Equatable {
    public var defectLevel: Int
    public var structural: Int?
    public var seismicHazard: Int?
    public var seismic: Int?
    public var hydraulic: Int?
    public var landslide: Int?
    public var exposure: Int
    public var overall: Int?
    public var override: Bool
    public var outOfScope: Bool
    public var trace: [String]
    public var notClassifiable: [String]
}

extension BridgeRules {
    func name(_ c: Int) -> String { classes[max(1, min(5, c)) - 1] }

    /// Defect level of an inspection (1 = Alto … 5 = Basso): the first rule that matches.
    func defectLevel(_ defects: [BridgeInspected.Defect]) -> Int {
        for rule in defectLevel.sorted(by: { $0.level < $1.level }) {
            if rule.anyOf.contains(where: { m in defects.contains(where: m.matches) }) { return rule.level }
            if let c = rule.orCountAtLeast, defects.filter(c.match.matches).count >= c.count { return rule.level }
        }
        return 5
    }

    func band(_ x: Double, _ thresholds: [Double]) -> Int { thresholds.firstIndex(where: { x <= $0 }) ?? thresholds.count }

    /// The longest-span band, each bound in its band or the next as the rule file says.
    func spanBand(_ x: Double) -> Int {
        let inclusive = spanBandsUpperInclusive ?? spanBandsMetres.map { _ in true }
        return spanBandsMetres.indices.first { x < spanBandsMetres[$0] || (inclusive[$0] && x == spanBandsMetres[$0]) } ?? spanBandsMetres.count
    }

    /// The chain of bridges.md §4.2 for one census record and defect level.
    public func attentionClass(
        census c: BridgeCensused, defectLevel dl: Int, hydraulicForm: HydraulicFormRecorded? = nil, landslideForm: LandslideFormRecorded? = nil
    ) throws(CannotApply) -> AttentionClass {
        var trace: [String] = []
        var gaps: [String] = []
        let outOfScope = c.totalLength <= 6.0
        // Hazard.
        let freq = c.commercialFrequency == .alta ? "A" : c.commercialFrequency == .media ? "M" : "B"
        let p = hazard[freq]?[c.roadClass.rawValue] ?? 3
        trace.append("P = hazard[\(freq)][\(c.roadClass.rawValue)] = \(name(p))")
        // Vulnerability.
        let year = c.lastMajorInterventionYear ?? c.yearBuilt
        let period = year <= 1945 ? "pre1945" : year < 1980 ? "1945to1980" : "post1980"
        let v1 = try (periodVulnerability[period] ?? []).cell(dl, "periodVulnerability.\(period)")
        trace.append("V1 = \(period)[defect level \(name(dl))] = \(name(v1))")
        let codeTable = c.deicingSalts ? codeVulnerability.salts : codeVulnerability.noSalts
        let v2 = try (codeTable[c.designCodeClass.rawValue] ?? []).cell(v1, "codeVulnerability.\(c.designCodeClass.rawValue)")
        trace.append("V2 = \(c.deicingSalts ? "salts" : "noSalts").\(c.designCodeClass.rawValue)[V1] = \(name(v2))")
        let key = "\(c.material.rawValue).\(c.staticScheme.rawValue)"
        let row = schemeVulnerability[key] ?? schemeVulnerability["default"] ?? []
        let longest = c.spanLengths.max() ?? c.totalLength
        let v4 = try row.cell(spanBand(longest) + 1, "schemeVulnerability.\(key)")
        trace.append(
            String(format: "V4 = scheme[%@][longest span %.1f m] = %@", schemeVulnerability[key] == nil ? "default" : key, longest, name(v4)))
        let v5 = c.spans > manySpansAbove ? max(1, v4 - 1) : v4
        trace.append("V5 = \(c.spans) spans → \(name(v5))")
        let v = try combinedVulnerability.cell(v5, "combinedVulnerability").cell(v2, "combinedVulnerability[V5]")
        trace.append("V = combined[V5][V2] = \(name(v))")
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
        trace.append(
            String(
                format: "E = TGM %d + mean span %.0f m → %@ (pedestrians %@, alternative %@, crossed %@)", c.aadt, meanSpan, name(e),
                c.frequentPedestrians ? "yes" : "no", c.alternativeRoute ? "yes" : "no", c.crossedFeatureClass.rawValue))
        let sf = try structural(p, v, e)
        trace.append("CdA structural-foundational = T[P][V][E] = \(name(sf))")
        // Seismic chain (§4.3).
        let sz = seismic
        var sh = band(-c.seismicAg, sz.agBands.map { -$0 }) + 1
        if sz.topographyT4Worse && c.topography == .T4 { sh -= 1 }
        if sz.softSubsoils.contains(c.subsoil.rawValue) { sh -= 1 }
        sh = max(1, min(5, sh))
        trace.append(String(format: "seismic P: ag %.3f g, %@, subsoil %@ → %@", c.seismicAg, c.topography.rawValue, c.subsoil.rawValue, name(sh)))
        let hyper = sz.hyperstaticSchemes.contains(c.staticScheme.rawValue)
        let cell = sz.baseVulnerability[c.material.rawValue]?[hyper ? "hyper" : "iso"]?[longest > sz.longSpanAbove ? 1 : 0][c.spans > 1 ? 1 : 0] ?? 0
        var sv = cell == 0 ? sz.defaultBaseVulnerability : cell
        trace.append(
            "seismic V2_0 = \(c.material.rawValue), \(hyper ? "hyperstatic" : "isostatic"), \(longest > sz.longSpanAbove ? "long" : "short") span, \(c.spans > 1 ? "multi" : "single")-span → \(name(sv))\(cell == 0 ? " (no table cell: default)" : "")"
        )
        if sz.assumeVulnerabilityElements { sv = max(1, sv - 1) }
        if sz.assumeNonSeismicDesign { sv = max(1, sv - 1) }
        if sz.assumeVulnerabilityElements || sz.assumeNonSeismicDesign {
            trace.append("seismic V3 = \(name(sv)) (census lacks vulnerability elements / design criteria: unfavourable case assumed)")
        }
        let svf = try sz.defectCombination.cell(sv, "seismic.defectCombination").cell(dl, "seismic.defectCombination[V]")
        let se = c.strategic ? max(1, e - 1) : e
        let sCdA = try structural(sh, svf, se)
        trace.append("seismic V = \(name(svf)); E = \(name(se))\(c.strategic ? " (strategic)" : ""); CdA seismic = T[P][V][E] = \(name(sCdA))")
        // Hydraulic (form 28) and landslide (form 29): exposure as for the seismic class.
        var hCdA: Int?
        if let h = hydraulicForm {
            hCdA = try hydraulicClass(h, exposure: se, trace: &trace)
        } else if c.hydraulicRisk != .absent {
            gaps.append("hydraulic CdA: census says '\(c.hydraulicRisk.rawValue)' but no L1 form 28 is recorded")
        }
        var lCdA: Int?
        if let l = landslideForm {
            lCdA = try landslideClass(l, exposure: se, trace: &trace)
        } else if c.landslideRisk != .absent {
            gaps.append("landslide CdA: census says '\(c.landslideRisk.rawValue)' but no L1 form 29 is recorded")
        }
        let override = dl == 1
        let overall = override ? 1 : ([sf, sCdA] + [hCdA, lCdA].compactMap { $0 }).min()!
        trace.append(
            override
                ? "overall = Alta (override: defect level Alto)"
                : "overall = worst of classifiable partial classes (structural \(name(sf)), seismic \(name(sCdA))\(hCdA.map { ", hydraulic \(name($0))" } ?? "")\(lCdA.map { ", landslide \(name($0))" } ?? "")) = \(name(overall))"
        )
        return AttentionClass(
            defectLevel: dl, structural: sf, seismicHazard: sh, seismic: sCdA, hydraulic: hCdA, landslide: lCdA, exposure: e,
            overall: outOfScope ? nil : overall, override: override, outOfScope: outOfScope,
            trace: trace, notClassifiable: outOfScope ? ["total span ≤ 6 m: outside the Linee Guida scope"] : gaps)
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
        var vl: [Int] = []
        let cl = count([l.shallowFoundations, l.generalBedLowering, l.debrisAtPiers, l.lateralWandering])
        if cl >= 3 { vl.append(1) }
        if cl == 2 { vl.append(2) }
        if cl == 1 { vl.append(3) }
        if l.deepFoundations && count([l.toeProtection, l.checkDam]) >= 2 { vl.append(4) }
        if l.deepFoundations && l.toeProtection { vl.append(5) }
        let vLoc = vl.min() ?? 3
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
