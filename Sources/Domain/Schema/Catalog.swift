import Foundation

/// Every event type the platform records, with the `presidio submit` kind that produces it.
public enum Catalog {
    public struct Entry: Sendable {
        /// `presidio submit KIND` / API path segment, e.g. `bridge-inspection`.
        public let kind: String
        public let type: any DomainEvent.Type
        /// True for the event that creates its asset (stream must not exist yet).
        public let creates: Bool

        public var eventType: String { type.eventType }
        public var schemaVersion: UInt32 { type.schemaVersion }
        public var versionedName: String { type.versionedName }
    }

    public static let entries: [Entry] = [
        Entry(kind: "bridge-census", type: BridgeCensused.self, creates: true),
        Entry(kind: "bridge-census-amendment", type: BridgeCensusAmended.self, creates: false),
        Entry(kind: "bridge-inspection", type: BridgeInspected.self, creates: false),
        Entry(kind: "bridge-special-inspection", type: SpecialInspectionConcluded.self, creates: false),
        Entry(kind: "bridge-assessment", type: AssessmentConcluded.self, creates: false),
        Entry(kind: "bridge-intervention", type: InterventionCompleted.self, creates: false),
        Entry(kind: "bridge-traffic-measure", type: TrafficMeasureChanged.self, creates: false),
        Entry(kind: "bridge-document", type: DocumentAttached.self, creates: false),
        Entry(kind: "bridge-hydraulic-form", type: HydraulicFormRecorded.self, creates: false),
        Entry(kind: "bridge-landslide-form", type: LandslideFormRecorded.self, creates: false),
        Entry(kind: "building", type: BuildingRegistered.self, creates: true),
        Entry(kind: "meter-installation", type: MeterInstalled.self, creates: true),
        Entry(kind: "meter-replacement", type: MeterReplaced.self, creates: false),
        Entry(kind: "meter-readings", type: MeterReadingsRecorded.self, creates: false),
        Entry(kind: "tariff", type: TariffSet.self, creates: false),
        Entry(kind: "wastesite", type: WasteSiteRegistered.self, creates: true),
        Entry(kind: "wastesite-inspection", type: WasteSiteInspected.self, creates: false),
        Entry(kind: "wastesite-follow-up", type: WasteSiteFollowUpRecorded.self, creates: false),
        Entry(kind: "wastesite-sanction", type: WasteSiteSanctioned.self, creates: false),
        Entry(kind: "wastesite-fire", type: WasteSiteFireReported.self, creates: false),
        Entry(kind: "alert-raised", type: AlertRaised.self, creates: true),
        Entry(kind: "alert-resolution", type: AlertResolved.self, creates: false),
        Entry(kind: "alert-acknowledgement", type: AlertAcknowledged.self, creates: false),
        Entry(kind: "alert-escalation", type: AlertEscalated.self, creates: false),
        Entry(kind: "alert-reopening", type: AlertReopened.self, creates: false),
    ]

    public static func entry(kind: String) -> Entry? { entries.first { $0.kind == kind } }

    public static func entry(eventType: String, version: UInt32) -> Entry? {
        entries.first { $0.eventType == eventType && $0.schemaVersion == version }
    }

    /// The JSON Schema (draft 2020-12) of an event type's payload, generated from its fields.
    public static func jsonSchema(_ entry: Entry) -> [String: Any] {
        var s = schema(.object(entry.type.fields))
        s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        s["$id"] = "urn:presidio:events:\(entry.versionedName)"
        s["title"] = entry.versionedName
        s["description"] = entry.type.summary
        s["x-presidio"] = [
            "eventType": entry.eventType, "schemaVersion": Int(entry.schemaVersion), "stream": "\(entry.type.category.rawValue)-{id}",
            "submitKind": entry.kind,
        ]
        return s
    }

    /// Pretty JSON with sorted keys: the bytes of `events/schemas/*.schema.json`.
    public static func jsonSchemaText(_ entry: Entry) throws -> String {
        let d = try JSONSerialization.data(withJSONObject: jsonSchema(entry), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: d, as: UTF8.self) + "\n"
    }

    static func schema(_ t: FieldType) -> [String: Any] {
        switch t {
        case .string(let minLength, let maxLength, let pattern):
            var s: [String: Any] = ["type": "string", "minLength": minLength, "maxLength": maxLength]
            if let pattern { s["pattern"] = "^(?:\(pattern))$" }
            return s
        case .enumeration(let values): return ["type": "string", "enum": values]
        case .integer(let min, let max):
            var s: [String: Any] = ["type": "integer"]
            if let min { s["minimum"] = min }
            if let max { s["maximum"] = max }
            return s
        case .number(let min, let max):
            var s: [String: Any] = ["type": "number"]
            if let min { s["minimum"] = min }
            if let max { s["maximum"] = max }
            return s
        case .numberOneOf(let values): return ["type": "number", "enum": values]
        case .boolean: return ["type": "boolean"]
        // The format says RFC 3339; the pattern says the years the platform records.
        case .date: return ["type": "string", "format": "date", "pattern": DomainTime.yearPattern]
        case .dateTime: return ["type": "string", "format": "date-time", "pattern": DomainTime.yearPattern]
        case .uuid: return ["type": "string", "format": "uuid"]
        case .object(let fields):
            var props: [String: Any] = [:]
            for f in fields {
                var p = schema(f.type)
                if !f.doc.isEmpty { p["description"] = f.doc }
                props[f.name] = p
            }
            return [
                "type": "object", "properties": props, "required": fields.filter(\.required).map(\.name),
                "additionalProperties": false,
            ]
        case .array(let element, let minItems, let maxItems):
            return ["type": "array", "items": schema(element), "minItems": minItems, "maxItems": maxItems]
        case .nullable(let inner):
            var s = schema(inner)
            if let t = s["type"] as? String { s["type"] = [t, "null"] }
            return s
        }
    }
}
