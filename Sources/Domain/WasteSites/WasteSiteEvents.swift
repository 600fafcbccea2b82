public enum Authorisation: String, Codable, Sendable, CaseIterable { case art208, art216, aia }
public enum CPIStatus: String, Codable, Sendable, CaseIterable { case valid, expired, missing, notRequired }
public enum HazardGrade: String, Codable, Sendable, CaseIterable { case alto, medio, basso }
public enum CheckOutcome: String, Codable, Sendable, CaseIterable { case conforme, nonConforme, nonVerificabile }
/// Where a site stands with the fire-prevention rule for waste plants, DM Interno 26/7/2022
/// (brief §4.1): a site registered since it took force follows it (`newSite`); an existing one
/// has `adapted`, is `exempt` (it already held a valid CPI/SCIA), or is `adapting` by the deadline.
public enum FireRuleAdaptation: String, Codable, Sendable, CaseIterable { case newSite, adapted, exempt, adapting }
public enum FireSeverity: String, Codable, Sendable, CaseIterable { case importante, lieve }

/// The quick-check sheet items (waste-sites brief §4.3).
public enum ChecklistItem: String, Codable, Sendable, CaseIterable {
    case authorisation, quantity, areas, fireEquipment, detection, videoSurveillance, cpi, emergencyPlan, pileLimits
    case combustibleSeparation, accessWays, financialGuarantee, documentation
}

/// A registered waste storage/treatment site with its authorisation and hazard grade.
public struct WasteSiteRegistered: DomainEvent {
    public static let eventType = "WasteSiteRegistered"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.wastesite
    public static let summary = "Waste storage/treatment site: operator, authorisation, R/D operations, EER codes, areas, CPI, hazard grade."

    public struct Area: Codable, Sendable, Equatable {
        public var areaId: String
        public var eerCodes: [String]
        public var authorisedTonnes: Double
    }

    public var siteId: String
    public var observedAt: String
    public var operatorName: String
    public var municipality: String
    public var location: GeoPoint
    public var authorisation: Authorisation
    public var operations: [String]
    public var areas: [Area]
    public var combustibleShare: Double
    public var footprintM2: Double
    public var indoorM2: Double?
    public var cpiStatus: CPIStatus
    /// As declared at registration: Presidio derives its own from the registry (and shows both).
    public var hazardGrade: HazardGrade
    /// Absent: not known (a knowledge gap for a site without a valid CPI).
    public var fireRuleAdaptation: FireRuleAdaptation? = nil
    public var assetId: String { siteId }

    static let eer = FieldType.string(minLength: 6, maxLength: 7, pattern: "[0-9]{6}\\*?")

    public static let fields: [Field] = [
        Fields.siteId, Fields.observedDate,
        Field("operatorName", .string(maxLength: 200)),
        Fields.municipality,
        Fields.location,
        Field("authorisation", Authorisation.spec),
        Field("operations", .array(.string(maxLength: 3, pattern: "R(1[0-3]|[1-9])|D(1[0-5]|[1-9])"), minItems: 1, maxItems: 28), "R1–R13 / D1–D15"),
        Field(
            "areas",
            .array(
                .object([
                    Field("areaId", .string(maxLength: 20)),
                    Field("eerCodes", .array(eer, minItems: 1, maxItems: 200), "EER codes allowed in the area; * = hazardous"),
                    Field("authorisedTonnes", .number(min: 0, max: 1e6)),
                ]), minItems: 1, maxItems: 200)),
        Field("combustibleShare", .number(min: 0, max: 1), "share of authorised tonnes that is combustible"),
        Field("footprintM2", .number(min: 1, max: 1e7)),
        .optional("indoorM2", .number(min: 0, max: 1e7)),
        Field("cpiStatus", CPIStatus.spec, "fire certificate (DPR 151/2011)"),
        Field("hazardGrade", HazardGrade.spec, "as declared; Presidio derives its own from the registry and shows both"),
        .optional("fireRuleAdaptation", FireRuleAdaptation.spec, "DM 26/7/2022 status: newSite, adapted, exempt (valid CPI/SCIA), adapting"),
    ]
}

/// A quick-check inspection: an outcome for every checklist item, measured quantities, photos.
public struct WasteSiteInspected: DomainEvent {
    public static let eventType = "WasteSiteInspected"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.wastesite
    public static let summary = "Quick-check inspection sheet: conforme / non conforme / non verificabile per item, measured quantities."

    public struct Check: Codable, Sendable, Equatable {
        public var outcome: CheckOutcome
        public var note: String?
    }

    public struct Measured: Codable, Sendable, Equatable {
        public var areaId: String
        public var tonnes: Double
    }

    public var siteId: String
    public var observedAt: String
    public var inspector: String
    public var body: String
    public var items: [String: Check]
    public var measured: [Measured]
    public var photos: [String]?
    public var assetId: String { siteId }

    public static let fields: [Field] = [
        Fields.siteId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("body", .string(maxLength: 120), "inspecting body (Polizia Locale, ARPA, VVF …)"),
        Field(
            "items",
            .object(
                ChecklistItem.allCases.map {
                    Field($0.rawValue, .object([Field("outcome", CheckOutcome.spec), .optional("note", .string(minLength: 0, maxLength: 2000))]))
                }), "one outcome per checklist item"),
        Field(
            "measured",
            .array(.object([Field("areaId", .string(maxLength: 20)), Field("tonnes", .number(min: 0, max: 1e6))]), maxItems: 200),
            "measured or estimated quantity per area"),
        Fields.photos,
    ]
}

/// A follow-up visit that closes (or not) the non-compliances of an earlier inspection.
public struct WasteSiteFollowUpRecorded: DomainEvent {
    public static let eventType = "WasteSiteFollowUpRecorded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.wastesite
    public static let summary = "Follow-up visit: which non-compliant items are now resolved."

    public var siteId: String
    public var observedAt: String
    public var inspector: String
    public var resolvedItems: [ChecklistItem]
    public var stillOpenItems: [ChecklistItem]
    public var notes: String?
    public var assetId: String { siteId }

    public static let fields: [Field] = [
        Fields.siteId, Fields.observedDate,
        Field("inspector", Fields.person),
        Field("resolvedItems", .array(ChecklistItem.spec, maxItems: 13)),
        Field("stillOpenItems", .array(ChecklistItem.spec, maxItems: 13)),
        Fields.notes,
    ]
}

public struct WasteSiteSanctioned: DomainEvent {
    public static let eventType = "WasteSiteSanctioned"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.wastesite
    public static let summary = "Sanction issued to the operator, with the checklist items it concerns."

    public var siteId: String
    public var observedAt: String
    public var authority: String
    public var items: [ChecklistItem]
    public var amountEUR: Double?
    public var reason: String
    public var assetId: String { siteId }

    public static let fields: [Field] = [
        Fields.siteId, Fields.observedDate,
        Field("authority", .string(maxLength: 200)),
        Field("items", .array(ChecklistItem.spec, minItems: 1, maxItems: 13)),
        .optional("amountEUR", .number(min: 0, max: 1e8)),
        Field("reason", .string(maxLength: 2000)),
    ]
}

public struct WasteSiteFireReported: DomainEvent {
    public static let eventType = "WasteSiteFireReported"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.wastesite
    public static let summary = "Fire at a site, graded importante / lieve."

    public var siteId: String
    public var observedAt: String
    public var severity: FireSeverity
    public var description: String
    public var assetId: String { siteId }

    public static let fields: [Field] = [
        Fields.siteId, Fields.observedTime,
        Field("severity", FireSeverity.spec),
        Field("description", .string(maxLength: 4000)),
    ]
}
