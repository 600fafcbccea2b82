/// Level 0 census record of a bridge: identity, location, structure, traffic and context.
public struct BridgeCensused: DomainEvent {
    public static let eventType = "BridgeCensused"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Level 0 census record: identity (AINOP IOP), road and km, location, structure, traffic, context."

    public var bridgeId: String
    public var observedAt: String
    public var iopCode: String?
    public var name: String
    public var road: String
    public var kmStart: Double
    public var kmEnd: Double?
    public var municipality: String
    public var location: GeoPoint
    public var yearBuilt: Int
    public var yearBuiltPresumed: Bool
    public var lastMajorInterventionYear: Int?
    public var designCodeClass: DesignCodeClass
    public var material: BridgeMaterial
    public var staticScheme: StaticScheme
    public var spans: Int
    public var spanLengths: [Double]
    public var totalLength: Double
    public var deckWidth: Double
    public var crossing: CrossingType
    public var crossedFeatureClass: Level3
    public var roadClass: RoadClass
    public var aadt: Int
    public var heavyVehicleShare: Double
    public var commercialFrequency: Level3
    public var alternativeRoute: Bool
    public var detourKm: Double?
    public var frequentPedestrians: Bool
    public var deicingSalts: Bool
    public var strategic: Bool
    public var postTensioned: Bool
    public var seismicAg: Double
    public var subsoil: SubsoilCategory
    public var topography: TopographicCategory
    public var hydraulicRisk: RiskFlag
    public var landslideRisk: RiskFlag
    /// Designed to seismic criteria (brief §4.3, L0 form). Absent: the seismic class is not
    /// classifiable, never assumed either way.
    public var seismicDesign: Bool? = nil
    /// Seismic vulnerability elements present (brief §4.3: e.g. short bearing seats, no
    /// restraints). Absent: as `seismicDesign`.
    public var seismicVulnerabilityElements: Bool? = nil

    public var assetId: String { bridgeId }

    /// Census fields other than the id, shared with `BridgeCensusAmended.changes`.
    static let censusFields: [Field] = [
        .optional("iopCode", .string(maxLength: 18, pattern: "[A-Z0-9-]{6,18}"), "AINOP IOP code (assigned by AINOP; may be absent)"),
        Field("name", .string(maxLength: 200)),
        Field("road", .string(maxLength: 40), "road, e.g. SP 103"),
        Field("kmStart", .number(min: 0, max: 500), "progressive km of the start"),
        .optional("kmEnd", .number(min: 0, max: 500)),
        Fields.municipality,
        Fields.location,
        Field("yearBuilt", .integer(min: 1800, max: 2100)),
        Field("yearBuiltPresumed", .boolean, "true when the year is presumed, not documented"),
        .optional("lastMajorInterventionYear", .integer(min: 1800, max: 2100)),
        Field("designCodeClass", DesignCodeClass.spec, "A/B/C from design year, bridge category and span"),
        Field("material", BridgeMaterial.spec),
        Field("staticScheme", StaticScheme.spec),
        Field("spans", .integer(min: 1, max: 200)),
        Field("spanLengths", .array(.number(min: 0.5, max: 500), minItems: 1, maxItems: 200), "metres, one per span"),
        Field("totalLength", .number(min: 1, max: 20000), "total span (luce complessiva), metres"),
        Field("deckWidth", .number(min: 1, max: 100), "metres"),
        Field("crossing", CrossingType.spec),
        Field("crossedFeatureClass", Level3.spec),
        Field("roadClass", RoadClass.spec, "by maximum admissible mass"),
        Field("aadt", .integer(min: 0, max: 300_000), "annual average daily traffic, whole carriageway"),
        Field("heavyVehicleShare", .number(min: 0, max: 1), "share of vehicles > 3.5 t"),
        Field("commercialFrequency", Level3.spec, "commercial vehicles per lane"),
        Field("alternativeRoute", .boolean),
        .optional("detourKm", .number(min: 0, max: 500)),
        Field("frequentPedestrians", .boolean),
        Field("deicingSalts", .boolean),
        Field("strategic", .boolean, "on the emergency network"),
        Field("postTensioned", .boolean, "post-tensioned prestressed deck (needs an Annex D special inspection)"),
        Field("seismicAg", .number(min: 0, max: 1), "ag/g on rock, TR 475 years"),
        Field("subsoil", SubsoilCategory.spec),
        Field("topography", TopographicCategory.spec),
        Field("hydraulicRisk", RiskFlag.spec),
        Field("landslideRisk", RiskFlag.spec),
        .optional("seismicDesign", .boolean, "designed to seismic criteria; absent leaves the seismic class not classifiable"),
        .optional(
            "seismicVulnerabilityElements", .boolean,
            "seismic vulnerability elements present (short seats, no restraints…); absent leaves the seismic class not classifiable"),
    ]

    public static let fields: [Field] = [Fields.bridgeId, Fields.observedDate] + censusFields
}

/// Corrections or updates to a census record; only the fields given change.
public struct BridgeCensusAmended: DomainEvent {
    public static let eventType = "BridgeCensusAmended"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Amendment of census fields (only those given change), with a reason."

    public var bridgeId: String
    public var observedAt: String
    public var reason: String
    public var changes: [String: JSONValue]

    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("reason", .string(maxLength: 1000)),
        Field("changes", .object(BridgeCensused.censusFields.map { Field.optional($0.name, $0.type, $0.doc) }), "census fields to change"),
    ]
}
