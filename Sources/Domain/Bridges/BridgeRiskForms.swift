/// Level 1 form 28: hydraulic context of a bridge over water (overtopping, general and local
/// erosion). Classes are 1 (Alta) … 5 (Bassa).
public struct HydraulicFormRecorded: DomainEvent {
    public static let eventType = "HydraulicFormRecorded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "L1 form 28: hydraulic hazard classes and vulnerability conditions (overtopping, general and local erosion)."

    public struct Overtopping: Codable, Sendable, Equatable {
        public var debrisAccumulation: Bool
        public var vegetationTransport: Bool
        public var basinUnder100km2: Bool
        public var significantDeposits: Bool
        public var significantVegetation: Bool
        public var basinUnder500km2: Bool
        public var basinOver500km2: Bool
    }
    public struct GeneralErosion: Codable, Sendable, Equatable {
        public var shallowFoundations: Bool
        public var generalBedLowering: Bool
        public var sharpBend: Bool
        public var deepFoundations: Bool
    }
    public struct LocalErosion: Codable, Sendable, Equatable {
        public var shallowFoundations: Bool
        public var generalBedLowering: Bool
        public var debrisAtPiers: Bool
        public var lateralWandering: Bool
        public var deepFoundations: Bool
        public var toeProtection: Bool
        public var checkDam: Bool
    }

    public var bridgeId: String
    public var observedAt: String
    public var inspector: String
    public var overtoppingHazard: Int
    public var overtopping: Overtopping
    public var generalErosionHazard: Int
    public var generalErosion: GeneralErosion
    public var localErosionHazard: Int
    public var localErosion: LocalErosion
    public var assetId: String { bridgeId }

    static let hazard = FieldType.integer(min: 1, max: 5)
    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("overtoppingHazard", hazard, "1 = Alta … 5 = Bassa (freeboard / flow data, LG hydraulic section)"),
        Field(
            "overtopping",
            .object(
                [
                    "debrisAccumulation", "vegetationTransport", "basinUnder100km2", "significantDeposits", "significantVegetation",
                    "basinUnder500km2", "basinOver500km2",
                ].map { Field($0, .boolean) })),
        Field("generalErosionHazard", hazard),
        Field("generalErosion", .object(["shallowFoundations", "generalBedLowering", "sharpBend", "deepFoundations"].map { Field($0, .boolean) })),
        Field("localErosionHazard", hazard),
        Field(
            "localErosion",
            .object(
                ["shallowFoundations", "generalBedLowering", "debrisAtPiers", "lateralWandering", "deepFoundations", "toeProtection", "checkDam"].map
                { Field($0, .boolean) })),
    ]
}

public enum LandslideActivity: String, Codable, Sendable, CaseIterable { case highlyCritical, critical, stabilised }
public enum AssessmentReliability: String, Codable, Sendable, CaseIterable { case limited, good }
public enum LandslideMitigation: String, Codable, Sendable, CaseIterable { case absent, monitored, stabilised }
public enum LandslideInterference: String, Codable, Sendable, CaseIterable { case total, partial, approachZone }

/// Level 1 form 29: landslide context (susceptibility and how the bridge interferes with it).
public struct LandslideFormRecorded: DomainEvent {
    public static let eventType = "LandslideFormRecorded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "L1 form 29: landslide activity, velocity, magnitude, reliability, mitigation, structure type and interference."

    public var bridgeId: String
    public var observedAt: String
    public var inspector: String
    public var activity: LandslideActivity
    /// 1 = very rapid … 5 = extremely slow.
    public var maxVelocityClass: Int
    /// 1 = very large … 5 = very small.
    public var magnitudeClass: Int
    public var reliability: AssessmentReliability
    public var mitigation: LandslideMitigation
    /// Vulnerability of the structure and foundation type: 1 = Alta … 5 = Bassa.
    public var structuralTypeClass: Int
    public var interference: LandslideInterference
    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("activity", LandslideActivity.spec),
        Field("maxVelocityClass", .integer(min: 1, max: 5), "1 = very rapid … 5 = extremely slow"),
        Field("magnitudeClass", .integer(min: 1, max: 5), "1 = very large … 5 = very small"),
        Field("reliability", AssessmentReliability.spec),
        Field("mitigation", LandslideMitigation.spec),
        Field("structuralTypeClass", .integer(min: 1, max: 5), "vulnerability of structure and foundations, 1 = Alta … 5 = Bassa"),
        Field("interference", LandslideInterference.spec),
    ]
}

private func existingBridgeRules(_ id: String, _ observedAt: String, _ ctx: ValidationContext) -> [Problem] {
    let f = ctx.facts("bridge-\(id)")
    return DateRules.exists(f, path: "bridgeId", noun: "bridge")
        + DateRules.day(observedAt, context: ctx, notBefore: f.createdAt, what: "the bridge's census record")
}

extension HydraulicFormRecorded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = existingBridgeRules(bridgeId, observedAt, ctx)
        let o = overtopping
        if !(o.basinUnder100km2 || o.basinUnder500km2 || o.basinOver500km2) {
            p.append(Problem("overtopping", .inconsistent, "one basin size must apply (under 100, under 500 or over 500 km²)"))
        }
        if overtopping.basinOver500km2 && (overtopping.basinUnder100km2 || overtopping.basinUnder500km2) {
            p.append(Problem("overtopping.basinOver500km2", .inconsistent, "contradicts a smaller basin"))
        }
        return p
    }
}

extension LandslideFormRecorded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { existingBridgeRules(bridgeId, observedAt, ctx) }
}
