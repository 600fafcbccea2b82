import Domain

/// `projections/bridges/v<N>.json`: the Linee Guida tables (classes coded 1 = Alta … 5 = Bassa).
public struct BridgeRules: Codable, Sendable, ValidatedRules {
    public struct DefectMatch: Codable, Sendable {
        public var g: [Int]?
        public var k1: [Double]?
        public var k2: [Double]?
        public var ps: Bool?

        func matches(_ d: BridgeInspected.Defect) -> Bool {
            guard d.status == .present, let g0 = d.g else { return false }
            if let g, !g.contains(g0) { return false }
            if let k1, !k1.contains(where: { abs($0 - (d.k1 ?? -1)) < 1e-9 }) { return false }
            if let k2, !k2.contains(where: { abs($0 - (d.k2 ?? -1)) < 1e-9 }) { return false }
            if let ps, ps != d.ps { return false }
            return true
        }
    }
    public struct CountMatch: Codable, Sendable {
        public var count: Int
        public var g: [Int]?
        public var k1: [Double]?
        public var k2: [Double]?
        var match: DefectMatch { DefectMatch(g: g, k1: k1, k2: k2, ps: nil) }
    }
    public struct LevelRule: Codable, Sendable {
        public var level: Int
        public var anyOf: [DefectMatch]
        public var orCountAtLeast: CountMatch?
    }
    public struct Exposure: Codable, Sendable {
        public var aadtAltaAtLeast: Int
        /// v1: AADT from this on is Media (so exactly 10,000 was Media: a boundary error).
        public var aadtMediaAtLeast: Int?
        /// v2 on: AADT above this is Media; up to it, Bassa (brief §4.2: "Bassa ≤10 000").
        public var aadtMediaAbove: Int?
        public var meanSpanLargeAbove: Double
        public var meanSpanMediumAbove: Double

        /// The TGM class: 1 Alta, 2 Media, 3 Bassa.
        public func aadtClass(_ aadt: Int) -> Int {
            if aadt >= aadtAltaAtLeast { return 1 }
            if let above = aadtMediaAbove { return aadt > above ? 2 : 3 }
            return aadt >= (aadtMediaAtLeast ?? Int.max) ? 2 : 3
        }
    }
    public struct CodeVulnerability: Codable, Sendable {
        public var salts: [String: [Int]]
        public var noSalts: [String: [Int]]
    }
    public struct Seismic: Codable, Sendable {
        public var agBands: [Double]
        public var topographyT4Worse: Bool
        public var softSubsoils: [String]
        public var hyperstaticSchemes: [String]
        public var longSpanAbove: Double
        /// [material]["iso" | "hyper"][long span 0/1][multi-span 0/1]; 0 = no cell.
        public var baseVulnerability: [String: [String: [[Int]]]]
        public var defaultBaseVulnerability: Int
        /// v1–v2 only: the census had no seismic-design and vulnerability-element fields, so the
        /// unfavourable case was assumed. From v3 the census fields decide, and their absence
        /// leaves the seismic class not classifiable (brief §8: never a silent default).
        public var assumeVulnerabilityElements: Bool?
        public var assumeNonSeismicDesign: Bool?
        public var defectCombination: [[Int]]
        public var note: String?
    }

    public struct Hydraulic: Codable, Sendable {
        public var note: String?
        /// [general erosion class][local erosion class].
        public var erosionCombination: [[Int]]
    }

    public struct Landslide: Codable, Sendable {
        public var note: String?
        public var instability: [[[Int]]]
        public var reliability: [[Int]]
        public var mitigation: [[Int]]
        public var vulnerability: [[Int]]
        /// [P][E][V].
        public var cdaTable: [[[Int]]]
    }

    public struct AssessmentDue: Codable, Sendable {
        public var level4: Int
        public var level3: Int
        public var immediate: Int
    }

    public var ruleSet: String
    public var version: Int
    public var source: String
    public var advisory: [String]
    public var classes: [String]
    public var defectLevel: [LevelRule]
    /// v3 on: the elements whose defect rows count for the defect level (brief §3.2: structural
    /// elements only); nil (v1–v2) counts every row.
    public var defectLevelElements: [String]?
    /// v3 on: the defect level a present critical element stands for, by condition (brief
    /// §3.1–3.2: critical elements dominate); nil (v1–v2): critical elements are not read.
    public var criticalElementLevel: [String: Int]?
    /// v3 on: days within which an inspection that could not see part of the bridge (no or
    /// partial access, spans not inspected, NR rows) must be completed; nil: no visit scheduled.
    public var coverageVisitDueDays: Int?
    public var hazard: [String: [String: Int]]
    public var periodVulnerability: [String: [Int]]
    public var codeVulnerability: CodeVulnerability
    public var schemeVulnerability: [String: [Int]]
    public var spanBandsMetres: [Double]
    /// v2 on: whether each band's upper bound belongs to it (brief §4.2: "≤5 / 5–15 / 15–25 /
    /// ≥25 m", so 25 m is in the last band); v1 has none, every bound inclusive.
    public var spanBandsUpperInclusive: [Bool]?
    public var manySpansAbove: Int
    public var combinedVulnerability: [[Int]]
    public var exposure: Exposure
    public var structuralTable: [[[Int]]]
    public var seismic: Seismic
    public var hydraulic: Hydraulic
    public var landslide: Landslide
    public var overallRule: String
    public var inspectionFrequencyMonths: [Int]
    public var assessmentDueDays: AssessmentDue
    public var dangerousDefect: DefectMatch

    public var info: RuleSetInfo { RuleSetInfo(name: ruleSet, version: version, advisory: advisory) }

    public func problems() -> [String] {
        var p: [String] = []
        func classes(_ xs: [Int], _ name: String, count: Int) {
            if xs.count != count { p.append("\(name): must have \(count) entries (got \(xs.count))") }
            for x in xs where !(1...5).contains(x) { p.append("\(name): classes are 1…5 (got \(x))"); break }
        }
        if self.classes.count != 5 { p.append("classes: must name 5 classes") }
        if Set(defectLevel.map(\.level)) != [1, 2, 3, 4, 5] { p.append("defectLevel: must define levels 1…5 exactly once") }
        for e in defectLevelElements ?? [] where StructuralElement(rawValue: e) == nil {
            p.append("defectLevelElements: '\(e)' is not an element (\(StructuralElement.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for (c, level) in criticalElementLevel ?? [:] {
            if ElementCondition(rawValue: c) == nil { p.append("criticalElementLevel: '\(c)' is not a condition") }
            if !(1...5).contains(level) { p.append("criticalElementLevel.\(c): levels are 1…5 (got \(level))") }
        }
        if let d = coverageVisitDueDays, d < 1 { p.append("coverageVisitDueDays: must be positive") }
        for f in ["A", "M", "B"] {
            guard let row = hazard[f] else { p.append("hazard.\(f): is required"); continue }
            classes(RoadClass.allCases.map { row[$0.rawValue] ?? 0 }, "hazard.\(f)", count: 5)
        }
        for k in ["pre1945", "1945to1980", "post1980"] { classes(periodVulnerability[k] ?? [], "periodVulnerability.\(k)", count: 5) }
        for c in ["A", "B", "C"] {
            classes(codeVulnerability.salts[c] ?? [], "codeVulnerability.salts.\(c)", count: 5)
            classes(codeVulnerability.noSalts[c] ?? [], "codeVulnerability.noSalts.\(c)", count: 5)
        }
        if schemeVulnerability["default"] == nil { p.append("schemeVulnerability.default: is required") }
        for (k, v) in schemeVulnerability { classes(v, "schemeVulnerability.\(k)", count: spanBandsMetres.count + 1) }
        if spanBandsMetres != spanBandsMetres.sorted() { p.append("spanBandsMetres: must be increasing") }
        if let inclusive = spanBandsUpperInclusive, inclusive.count != spanBandsMetres.count {
            p.append("spanBandsUpperInclusive: must have one flag per bound in spanBandsMetres")
        }
        if (exposure.aadtMediaAtLeast == nil) == (exposure.aadtMediaAbove == nil) {
            p.append("exposure: give exactly one of aadtMediaAtLeast (v1) and aadtMediaAbove")
        }
        if combinedVulnerability.count != 5 { p.append("combinedVulnerability: must be 5×5") }
        for (i, row) in combinedVulnerability.enumerated() { classes(row, "combinedVulnerability[\(i)]", count: 5) }
        if structuralTable.count != 5 { p.append("structuralTable: must be 5×5×5") }
        for (i, block) in structuralTable.enumerated() {
            if block.count != 5 { p.append("structuralTable[\(i)]: must be 5×5") }
            for (j, row) in block.enumerated() { classes(row, "structuralTable[\(i)][\(j)]", count: 5) }
        }
        if seismic.agBands.count != 4 || seismic.agBands != seismic.agBands.sorted(by: >) {
            p.append("seismic.agBands: must be 4 decreasing thresholds")
        }
        if seismic.defectCombination.count != 5 { p.append("seismic.defectCombination: must be 5×5") }
        for (i, row) in seismic.defectCombination.enumerated() { classes(row, "seismic.defectCombination[\(i)]", count: 5) }
        for (m, kinds) in seismic.baseVulnerability {
            for (k, grid) in kinds {
                if !["iso", "hyper"].contains(k) { p.append("seismic.baseVulnerability.\(m).\(k): must be iso or hyper") }
                if grid.count != 2 || grid.contains(where: { $0.count != 2 || $0.contains { !(0...5).contains($0) } }) {
                    p.append("seismic.baseVulnerability.\(m).\(k): must be 2×2 classes 0…5")
                }
            }
        }
        if hydraulic.erosionCombination.count != 5 { p.append("hydraulic.erosionCombination: must be 5×5") }
        for (i, row) in hydraulic.erosionCombination.enumerated() { classes(row, "hydraulic.erosionCombination[\(i)]", count: 5) }
        if landslide.instability.count != 3 || landslide.instability.contains(where: { $0.count != 5 }) {
            p.append("landslide.instability: must be 3×5×5")
        }
        for (i, b) in landslide.instability.enumerated() {
            for (j, row) in b.enumerated() { classes(row, "landslide.instability[\(i)][\(j)]", count: 5) }
        }
        for (name, t, w) in [
            ("reliability", landslide.reliability, 2), ("mitigation", landslide.mitigation, 3), ("vulnerability", landslide.vulnerability, 3),
        ] {
            if t.count != 5 { p.append("landslide.\(name): must have 5 rows") }
            for (i, row) in t.enumerated() { classes(row, "landslide.\(name)[\(i)]", count: w) }
        }
        if landslide.cdaTable.count != 5 { p.append("landslide.cdaTable: must be 5×5×5") }
        for (i, b) in landslide.cdaTable.enumerated() { for (j, row) in b.enumerated() { classes(row, "landslide.cdaTable[\(i)][\(j)]", count: 5) } }
        if overallRule != "worstOf" { p.append("overallRule: only 'worstOf' is implemented (got '\(overallRule)')") }
        if inspectionFrequencyMonths.count != 5 || inspectionFrequencyMonths.contains(where: { $0 < 1 }) {
            p.append("inspectionFrequencyMonths: must give 5 positive values, one per class")
        }
        return p
    }
}
