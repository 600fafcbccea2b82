import Domain
import Foundation

/// The Level 2 chain for one bridge: defect level → partial structural-foundational class →
/// overall class, with the trace of every table cell used (so an engineer can check it).
public struct AttentionClass: Codable, Sendable, Equatable {
    public var defectLevel: Int
    public var structural: Int?
    public var seismicHazard: Int?
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

    /// The chain of bridges.md §4.2 for one census record and defect level.
    public func attentionClass(census c: BridgeCensused, defectLevel dl: Int) -> AttentionClass {
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
        let v1 = periodVulnerability[period]![dl - 1]
        trace.append("V1 = \(period)[defect level \(name(dl))] = \(name(v1))")
        let codeTable = c.deicingSalts ? codeVulnerability.salts : codeVulnerability.noSalts
        let v2 = codeTable[c.designCodeClass.rawValue]![v1 - 1]
        trace.append("V2 = \(c.deicingSalts ? "salts" : "noSalts").\(c.designCodeClass.rawValue)[V1] = \(name(v2))")
        let key = "\(c.material.rawValue).\(c.staticScheme.rawValue)"
        let row = schemeVulnerability[key] ?? schemeVulnerability["default"]!
        let longest = c.spanLengths.max() ?? c.totalLength
        let v4 = row[band(longest, spanBandsMetres)]
        trace.append(String(format: "V4 = scheme[%@][longest span %.1f m] = %@", schemeVulnerability[key] == nil ? "default" : key, longest, name(v4)))
        let v5 = c.spans > manySpansAbove ? max(1, v4 - 1) : v4
        trace.append("V5 = \(c.spans) spans → \(name(v5))")
        let v = combinedVulnerability[v5 - 1][v2 - 1]
        trace.append("V = combined[V5][V2] = \(name(v))")
        // Exposure.
        let tgm = c.aadt >= exposure.aadtAltaAtLeast ? 1 : c.aadt >= exposure.aadtMediaAtLeast ? 2 : 3
        let meanSpan = c.totalLength / Double(max(1, c.spans))
        let spanClass = meanSpan > exposure.meanSpanLargeAbove ? 1 : meanSpan > exposure.meanSpanMediumAbove ? 2 : 3
        var e = tgm + spanClass - 1
        if c.frequentPedestrians { e -= 1 }
        if !c.alternativeRoute { e -= 1 }
        if c.crossedFeatureClass == .alta { e -= 1 }
        if c.crossedFeatureClass == .bassa { e += 1 }
        e = max(1, min(5, e))
        trace.append(String(format: "E = TGM %d + mean span %.0f m → %@ (pedestrians %@, alternative %@, crossed %@)", c.aadt, meanSpan, name(e),
            c.frequentPedestrians ? "yes" : "no", c.alternativeRoute ? "yes" : "no", c.crossedFeatureClass.rawValue))
        let sf = structuralTable[p - 1][v - 1][e - 1]
        trace.append("CdA structural-foundational = T[P][V][E] = \(name(sf))")
        // Seismic hazard (the vulnerability and exposure tables are not in the rule set yet).
        var sh = band(-c.seismicAg, seismicAgBands.map { -$0 }) + 1
        if c.topography == .T4 { sh -= 1 }
        if [SubsoilCategory.C, .D, .E].contains(c.subsoil) { sh -= 1 }
        sh = max(1, min(5, sh))
        trace.append(String(format: "seismic hazard: ag %.3f g, %@, subsoil %@ → %@", c.seismicAg, c.topography.rawValue, c.subsoil.rawValue, name(sh)))
        gaps.append("seismic CdA: vulnerability/exposure tables not in the rule set yet")
        if c.hydraulicRisk == .toVerify { gaps.append("hydraulic CdA: census says 'to verify' (no L1 form 28 data)") }
        if c.landslideRisk == .toVerify { gaps.append("landslide CdA: census says 'to verify' (no L1 form 29 data)") }
        let override = dl == 1
        let overall = override ? 1 : sf
        trace.append(override ? "overall = Alta (override: defect level Alto)" : "overall = worst of classifiable partial classes = \(name(overall))")
        return AttentionClass(
            defectLevel: dl, structural: sf, seismicHazard: sh, exposure: e, overall: outOfScope ? nil : overall, override: override, outOfScope: outOfScope,
            trace: trace, notClassifiable: outOfScope ? ["total span ≤ 6 m: outside the Linee Guida scope"] : gaps)
    }
}
