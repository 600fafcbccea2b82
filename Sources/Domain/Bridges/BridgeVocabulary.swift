/// Closed sets of the bridge forms (Linee Guida Ponti 2022, Level 0 census and Level 1 sheets).
/// The raw values are what submissions and payloads carry.
public enum BridgeMaterial: String, Codable, Sendable, CaseIterable {
    case reinforcedConcrete, prestressedConcrete, steel, historicMetal, masonry, timber, mixed, other
}

public enum StaticScheme: String, Codable, Sendable, CaseIterable {
    case simplySupportedBeams, continuousBeams, frame, massiveArch, thinArch, gerber, simplySupportedSlab, fixedSlab
    case boxGirder, cableStayed, other
}

public enum CrossingType: String, Codable, Sendable, CaseIterable {
    case watercourse, railway, road, builtUpArea, terrainDiscontinuity, other
}

public enum RoadClass: String, Codable, Sendable, CaseIterable { case A, B, C, D, E }

/// Three-level class used by several census inputs (commercial traffic, crossed feature).
public enum Level3: String, Codable, Sendable, CaseIterable { case alta, media, bassa }

public enum RiskFlag: String, Codable, Sendable, CaseIterable { case absent, assessed, toVerify }

public enum DesignCodeClass: String, Codable, Sendable, CaseIterable { case A, B, C }

public enum SubsoilCategory: String, Codable, Sendable, CaseIterable { case A, B, C, D, E }

public enum TopographicCategory: String, Codable, Sendable, CaseIterable { case T1, T2, T3, T4 }

public enum StructuralElement: String, Codable, Sendable, CaseIterable {
    case abutment, pier, deckSlab, beam, crossBeam, arch, bearing, joint, foundation, accessory
}

/// NA / NR / NP of the defect sheets, or a defect actually present.
public enum DefectStatus: String, Codable, Sendable, CaseIterable {
    case present, notApplicable, notDetectable, notPresent
}

public enum InspectionAccess: String, Codable, Sendable, CaseIterable { case full, partial, none }

public enum CriticalElementType: String, Codable, Sendable, CaseIterable {
    case gerberHalfJoint, postTensionedCables, other
}

public enum ElementCondition: String, Codable, Sendable, CaseIterable { case good, fair, poor, unknown }

/// Annex D ends in exactly one of three outcomes.
public enum SpecialInspectionOutcome: String, Codable, Sendable, CaseIterable {
    case defectsRequireLevel4, testsInconclusiveLevel4, defectsModest
}

public enum AssessmentOutcome: String, Codable, Sendable, CaseIterable {
    /// Level 3 outcomes.
    case level4Required, level4NotRequired
    /// Level 4 outcomes (adeguato / operativo / transitabile).
    case adequate, operable, passableWithLimits
}

public enum InterventionKind: String, Codable, Sendable, CaseIterable {
    case maintenance, repair, strengthening, replacement, monitoringInstalled
}

public enum TrafficMeasure: String, Codable, Sendable, CaseIterable { case loadLimit, laneClosure, closure, reopening }

public enum DocumentKind: String, Codable, Sendable, CaseIterable { case design, asBuilt, bim, report, photo, other }

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    static var spec: FieldType { .enumeration(allCases.map(\.rawValue)) }
}
