import Foundation

public enum HeatingType: String, Codable, Sendable, CaseIterable { case gas, districtHeat, heatPump, oil, electric }

public enum MeterKind: String, Codable, Sendable, CaseIterable {
    case electricity, gas, districtHeat, water

    /// The register's unit.
    public var unit: String {
        switch self {
        case .electricity, .districtHeat: "kWh"
        case .gas: "Sm3"
        case .water: "m3"
        }
    }

    /// The letter in meter ids (`SC0001-W1`).
    public var letter: Character {
        switch self {
        case .electricity: "E"
        case .gas: "G"
        case .districtHeat: "H"
        case .water: "W"
        }
    }
}

public enum RegisterReset: String, Codable, Sendable, CaseIterable { case rollover, meterSwap }

/// What a meter measures inside the building: detectors treat a heat-pump electricity meter
/// like a heating meter, not like the building's general supply.
public enum MeterUsage: String, Codable, Sendable, CaseIterable { case general, auxiliary, heating, water }

/// A school or institutional building whose meters are monitored.
public struct BuildingRegistered: DomainEvent {
    public static let eventType = "BuildingRegistered"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.building
    public static let summary = "School/institutional building: name, institute, address, location, floor area, heating."

    public var buildingId: String
    public var observedAt: String
    public var name: String
    public var institute: String
    public var address: String
    public var municipality: String
    public var location: GeoPoint
    public var floorAreaM2: Double
    public var heating: HeatingType
    public var assetId: String { buildingId }

    public static let fields: [Field] = [
        Fields.buildingId, Fields.observedDate,
        Field("name", .string(maxLength: 200)),
        Field("institute", .string(maxLength: 200)),
        Field("address", .string(maxLength: 300)),
        Fields.municipality,
        Fields.location,
        Field("floorAreaM2", .number(min: 10, max: 200_000)),
        Field("heating", HeatingType.spec),
    ]
}

/// A meter installed on a building (or replacing nothing: the first one of its id).
public struct MeterInstalled: DomainEvent {
    public static let eventType = "MeterInstalled"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.meter
    public static let summary = "Meter installed on a building: kind and unit, register digits, multiplier, interval, first reading."

    public var meterId: String
    public var buildingId: String
    public var observedAt: String
    public var kind: MeterKind
    public var unit: String
    public var registerDigits: Int
    public var multiplier: Double
    public var intervalMinutes: Int
    public var initialReading: Double
    public var usage: MeterUsage?
    public var assetId: String { meterId }

    public static let fields: [Field] = [
        Fields.meterId, Fields.buildingId, Fields.observedTime,
        Field("kind", MeterKind.spec),
        .optional("usage", MeterUsage.spec, "general supply, auxiliary (gym, kitchen), heating (gas, district heat, heat pump), water"),
        Field("unit", .enumeration(["kWh", "Sm3", "m3"]), "must match the kind: kWh (electricity, districtHeat), Sm3 (gas), m3 (water)"),
        Field("registerDigits", .integer(min: 4, max: 12), "the register rolls over at 10^digits"),
        Field("multiplier", .number(min: 0.0001, max: 10_000)),
        Field("intervalMinutes", .numberOneOf([15, 60])),
        Field("initialReading", .number(min: 0, max: 1e12)),
    ]
}

/// The physical meter was swapped: the register restarts from `newInitialReading`.
public struct MeterReplaced: DomainEvent {
    public static let eventType = "MeterReplaced"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.meter
    public static let summary = "Physical meter swapped: final reading of the old register, first reading of the new one."

    public var meterId: String
    public var observedAt: String
    public var oldFinalReading: Double
    public var newInitialReading: Double
    public var registerDigits: Int
    public var reason: String
    public var assetId: String { meterId }

    public static let fields: [Field] = [
        Fields.meterId, Fields.observedTime,
        Field("oldFinalReading", .number(min: 0, max: 1e12)),
        Field("newInitialReading", .number(min: 0, max: 1e12)),
        Field("registerDigits", .integer(min: 4, max: 12)),
        Field("reason", .string(maxLength: 1000)),
    ]
}

/// A batch of cumulative register readings of one meter at a fixed interval.
///
/// One event per meter and day (96 readings at 15 min) rather than one per reading: 35 M
/// readings a year become ~365 k events, and a day's register values compress well together.
/// `null` marks a missing reading (a gap is not a zero).
public struct MeterReadingsRecorded: DomainEvent {
    public static let eventType = "MeterReadingsRecorded"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.meter
    public static let summary = "Cumulative register readings of one meter from a start time at a fixed interval (null = missing)."

    public struct Reset: Codable, Sendable, Equatable {
        /// Index of the first reading after the reset.
        public var index: Int
        public var kind: RegisterReset
        public init(index: Int, kind: RegisterReset) {
            self.index = index
            self.kind = kind
        }
    }

    public var meterId: String
    /// Time of the first reading.
    public var observedAt: String

    public init(meterId: String, observedAt: String, intervalMinutes: Int, readings: [Double?], resets: [Reset]?) {
        self.meterId = meterId
        self.observedAt = observedAt
        self.intervalMinutes = intervalMinutes
        self.readings = readings
        self.resets = resets
    }

    /// Canonical payload written by hand: the same sorted-key JSON as `JSONEncoder` gives,
    /// without its per-value overhead (this is the bulk of the log: ~365 k events a year).
    public func payload() throws -> Data {
        var s = "{\"intervalMinutes\":\(intervalMinutes),\"meterId\":\(Self.quote(meterId)),\"observedAt\":\(Self.quote(observedAt)),\"readings\":["
        s.reserveCapacity(readings.count * 12 + 120)
        for (i, r) in readings.enumerated() {
            if i > 0 { s += "," }
            if let r { s += Self.number(r) } else { s += "null" }
        }
        s += "]"
        if let resets {
            s += ",\"resets\":["
            s += resets.map { "{\"index\":\($0.index),\"kind\":\"\($0.kind.rawValue)\"}" }.joined(separator: ",")
            s += "]"
        }
        return Data((s + "}").utf8)
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    static func quote(_ s: String) -> String {
        let d = try? JSONEncoder().encode(s)
        return d.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
    public var intervalMinutes: Int
    public var readings: [Double?]
    public var resets: [Reset]?
    public var assetId: String { meterId }

    public static let fields: [Field] = [
        Fields.meterId,
        Field("observedAt", .dateTime, "time of the first reading"),
        Field("intervalMinutes", .numberOneOf([15, 60])),
        Field("readings", .array(.nullable(.number(min: 0, max: 1e12)), minItems: 1, maxItems: 2976), "cumulative register values; null = missing"),
        .optional(
            "resets",
            .array(.object([Field("index", .integer(min: 0, max: 2975)), Field("kind", RegisterReset.spec)]), maxItems: 100),
            "where the register legitimately went down: rollover or meter swap"),
    ]
}

/// Price per unit used to cost leaks and excess consumption.
public struct TariffSet: DomainEvent {
    public static let eventType = "TariffSet"
    public static let schemaVersion: UInt32 = 1
    public static let category = AssetCategory.tariff
    public static let summary = "Price per unit of a meter kind, from a date (costs leaks and excess)."

    public var kind: MeterKind
    public var observedAt: String
    public var pricePerUnitEUR: Double
    public var assetId: String { kind.rawValue }

    public init(kind: MeterKind, observedAt: String, pricePerUnitEUR: Double) {
        self.kind = kind
        self.observedAt = observedAt
        self.pricePerUnitEUR = pricePerUnitEUR
    }

    public static let fields: [Field] = [
        Field("kind", MeterKind.spec),
        Field("observedAt", .date, "valid from"),
        Field("pricePerUnitEUR", .number(min: 0, max: 1000)),
    ]
}
