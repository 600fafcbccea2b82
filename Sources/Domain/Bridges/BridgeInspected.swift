/// Level 1 visual inspection: header, defect rows and critical elements.
public struct BridgeInspected: DomainEvent {
    public static let eventType = "BridgeInspected"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Level 1 visual inspection: header (inspector, access, coverage), defect rows (G, k1, k2, PS), critical elements."

    public struct Defect: Codable, Sendable, Equatable {
        public var element: StructuralElement
        public var span: Int
        public var instance: String?
        public var material: BridgeMaterial
        /// Annex C code, e.g. `C.a./c.a.p._3`.
        public var code: String
        public var status: DefectStatus
        /// Gravity weight 1…5 (required when the defect is present).
        public var g: Int?
        /// Extent ∈ {0.2, 0.5, 1}.
        public var k1: Double?
        /// Intensity ∈ {0.2, 0.5, 1}.
        public var k2: Double?
        /// May compromise the element's static safety.
        public var ps: Bool
        public var photos: [String]?
        public var notes: String?
    }

    public struct CriticalElement: Codable, Sendable, Equatable {
        public var type: CriticalElementType
        public var present: Bool
        public var condition: ElementCondition
        public var notes: String?
    }

    public var bridgeId: String
    public var observedAt: String
    public var inspector: String
    public var access: InspectionAccess
    public var spansInspected: Int
    public var bothElevations: Bool
    public var defects: [Defect]
    public var criticalElements: [CriticalElement]
    public var notes: String?

    public var assetId: String { bridgeId }

    static let k = FieldType.numberOneOf([0.2, 0.5, 1])

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("access", InspectionAccess.spec, "access under the deck"),
        Field("spansInspected", .integer(min: 0, max: 200), "spans fully inspected"),
        Field("bothElevations", .boolean),
        Field(
            "defects",
            .array(
                .object([
                    Field("element", StructuralElement.spec),
                    Field("span", .integer(min: 1, max: 200)),
                    .optional("instance", .string(maxLength: 40)),
                    Field("material", BridgeMaterial.spec),
                    Field("code", .string(maxLength: 40, pattern: "[A-Za-z./]+_[0-9]{1,3}"), "Annex C defect code"),
                    Field("status", DefectStatus.spec, "present, or NA / NR / NP"),
                    .optional("g", .integer(min: 1, max: 5), "gravity weight; required when present"),
                    .optional("k1", k, "extent; required when present"),
                    .optional("k2", k, "intensity; required when present"),
                    Field("ps", .boolean, "may compromise static safety"),
                    Fields.photos,
                    Fields.notes,
                ]), maxItems: 2000)),
        Field(
            "criticalElements",
            .array(
                .object([
                    Field("type", CriticalElementType.spec),
                    Field("present", .boolean),
                    Field("condition", ElementCondition.spec),
                    Fields.notes,
                ]), maxItems: 50)),
        Fields.notes,
    ]
}

/// Annex D special inspection of a post-tensioned deck, with its single outcome.
public struct SpecialInspectionConcluded: DomainEvent {
    public static let eventType = "SpecialInspectionConcluded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Annex D special inspection (post-tensioned decks) and its outcome."

    public var bridgeId: String
    public var observedAt: String
    public var inspector: String
    public var outcome: SpecialInspectionOutcome
    public var tests: [String]
    public var notes: String?
    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("outcome", SpecialInspectionOutcome.spec),
        Field("tests", .array(.string(maxLength: 200), maxItems: 100), "NDT / semi-destructive tests performed"),
        Fields.notes,
    ]
}

/// Outcome of a Level 3 (preliminary) or Level 4 (accurate) assessment.
public struct AssessmentConcluded: DomainEvent {
    public static let eventType = "AssessmentConcluded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Level 3 or Level 4 assessment outcome (L4: adequate / operable / passable with limits)."

    public var bridgeId: String
    public var observedAt: String
    public var level: Int
    public var engineer: String
    public var outcome: AssessmentOutcome
    public var loadLimitTonnes: Double?
    public var notes: String?
    public var assetId: String { bridgeId }

    public init(
        bridgeId: String, observedAt: String, level: Int, engineer: String, outcome: AssessmentOutcome, loadLimitTonnes: Double?, notes: String?
    ) {
        self.bridgeId = bridgeId
        self.observedAt = observedAt
        self.level = level
        self.engineer = engineer
        self.outcome = outcome
        self.loadLimitTonnes = loadLimitTonnes
        self.notes = notes
    }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("level", .integer(min: 3, max: 4)),
        Field("engineer", Fields.person),
        Field("outcome", AssessmentOutcome.spec, "L3: level4Required / level4NotRequired; L4: adequate / operable / passableWithLimits"),
        .optional("loadLimitTonnes", .number(min: 1, max: 100), "required for passableWithLimits"),
        Fields.notes,
    ]
}

public struct InterventionCompleted: DomainEvent {
    public static let eventType = "InterventionCompleted"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Maintenance, repair, strengthening, replacement or monitoring installed."

    public var bridgeId: String
    public var observedAt: String
    public var kind: InterventionKind
    public var description: String
    public var costEUR: Double?
    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("kind", InterventionKind.spec),
        Field("description", .string(maxLength: 4000)),
        .optional("costEUR", .number(min: 0, max: 1e9)),
    ]
}

/// Load limit, lane closure, closure or reopening.
public struct TrafficMeasureChanged: DomainEvent {
    public static let eventType = "TrafficMeasureChanged"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Traffic measure on a bridge: load limit, lane closure, closure, reopening."

    public var bridgeId: String
    public var observedAt: String
    public var measure: TrafficMeasure
    public var loadLimitTonnes: Double?
    public var reason: String
    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("measure", TrafficMeasure.spec),
        .optional("loadLimitTonnes", .number(min: 1, max: 100), "required for loadLimit"),
        Field("reason", .string(maxLength: 1000)),
    ]
}

/// A document or BIM model reference: its content hash and name, not the file.
public struct DocumentAttached: DomainEvent {
    public static let eventType = "DocumentAttached"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.bridge
    public static let summary = "Reference to a document or BIM model (SHA-256 of the content + name)."

    public var bridgeId: String
    public var observedAt: String
    public var kind: DocumentKind
    public var name: String
    public var sha256: String
    public var assetId: String { bridgeId }

    public static let fields: [Field] = [
        Fields.bridgeId, Fields.observedDate,
        Field("kind", DocumentKind.spec),
        Field("name", .string(maxLength: 300)),
        Field("sha256", .string(minLength: 64, maxLength: 64, pattern: "[0-9a-f]{64}"), "lower-case hex SHA-256 of the file"),
    ]
}
