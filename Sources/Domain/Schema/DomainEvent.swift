import Foundation

/// The asset categories; each is the stream category of its events (`bridge-MI0001`).
public enum AssetCategory: String, Sendable, CaseIterable, Codable {
    case bridge, building, meter, wastesite, tariff, alert
}

/// A fact the log records about an asset. One Swift type per event type and schema version;
/// the payload is the type's JSON encoding, validated by `fields` before anything is appended.
public protocol DomainEvent: Codable, Sendable, Equatable {
    /// Log event type, e.g. `BridgeInspected`.
    static var eventType: String { get }
    static var schemaVersion: UInt32 { get }
    static var category: AssetCategory { get }
    /// One sentence for the catalogue.
    static var summary: String { get }
    /// The payload's shape (validation and the published JSON Schema).
    static var fields: [Field] { get }
    /// The asset's id inside its category (the stream is `category-assetId`).
    var assetId: String { get }
    /// When it happened on site (distinct from the time the log recorded it).
    var observedAt: String { get }
    /// Canonical JSON payload (sorted keys, no nulls): what is stored and hashed.
    func payload() throws -> Data
}

extension DomainEvent {
    public var stream: String { "\(Self.category.rawValue)-\(assetId)" }
    public static var versionedName: String { "\(eventType).v\(schemaVersion)" }

    /// Canonical JSON payload (sorted keys, no nulls): what is stored and hashed.
    public func payload() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}

/// Shared field declarations, so the same concept has the same rules everywhere.
enum Fields {
    static let bridgeId = Field("bridgeId", .string(maxLength: 12, pattern: "MI[0-9]{4}"), "Città metropolitana bridge code, MI0001…")
    static let buildingId = Field("buildingId", .string(maxLength: 12, pattern: "SC[0-9]{4}"), "school/institutional building code")
    static let meterId = Field("meterId", .string(maxLength: 16, pattern: "SC[0-9]{4}-[EGHW][0-9]"), "meter code: building + kind letter + index")
    static let siteId = Field("siteId", .string(maxLength: 12, pattern: "WS[0-9]{4}"), "waste storage site code")
    static let observedDate = Field("observedAt", .date, "day it happened on site (YYYY-MM-DD)")
    static let observedTime = Field("observedAt", .dateTime, "when it happened on site (RFC 3339)")
    static let location = Field(
        "location",
        .object([
            Field("lat", .number(min: -90, max: 90), "WGS84 latitude"),
            Field("lon", .number(min: -180, max: 180), "WGS84 longitude"),
            .optional("elevation", .number(min: -100, max: 5000), "metres above sea level"),
        ]), "WGS84 position; must lie inside the Città metropolitana di Milano")
    static let municipality = Field(
        "municipality", .string(maxLength: 80), "one of the 133 municipalities of the Città metropolitana (ISTAT 015…), as ISTAT spells it")
    static let person = FieldType.string(maxLength: 120)
    static let notes = Field.optional("notes", .string(minLength: 0, maxLength: 4000))
    static let photos = Field.optional("photos", .array(.string(maxLength: 200), maxItems: 200), "photo references (file names or URLs)")
    static let riskFlag = FieldType.enumeration(["absent", "assessed", "toVerify"])
}

public struct GeoPoint: Codable, Sendable, Equatable {
    public var lat: Double
    public var lon: Double
    public var elevation: Double?
    public init(lat: Double, lon: Double, elevation: Double? = nil) {
        self.lat = lat
        self.lon = lon
        self.elevation = elevation
    }
}
