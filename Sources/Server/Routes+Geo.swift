import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Projections

/// GeoJSON map layers (RFC 7946, WGS84 longitude-latitude) for DECI.METRO and NET.I.S., and the
/// public consultation views (public fields only, no token).
extension PresidioRoutes {
    struct Feature: Encodable {
        struct Geometry: Encodable {
            var type = "Point"
            var coordinates: [Double]
        }
        var type = "Feature"
        var id: String
        var geometry: Geometry?
        var properties: [String: PropertyValue]
    }

    enum PropertyValue: Encodable {
        case s(String), n(Double), i(Int), b(Bool), null
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .s(let v): try c.encode(v)
            case .n(let v): try c.encode(v)
            case .i(let v): try c.encode(v)
            case .b(let v): try c.encode(v)
            case .null: try c.encodeNil()
            }
        }
        static func opt(_ s: String?) -> PropertyValue { s.map { .s($0) } ?? .null }
    }

    struct FeatureCollection: Encodable {
        var type = "FeatureCollection"
        var name: String
        var features: [Feature]
    }

    static func point(_ g: GeoPoint?) -> Feature.Geometry? { g.map { Feature.Geometry(coordinates: [$0.lon, $0.lat]) } }

    func geojson(_ r: Request, _ c: APIContext) throws -> Response {
        _ = try c.require(Self.readRoles, "exporting map layers")
        let layer = query(r, "layer") ?? ""
        let m = try model()
        let rows = summaries(m)
        var features: [Feature] = []
        switch layer {
        case "bridges":
            for a in rows where a.domain == "bridge" {
                let b = m.bridges.bridges[String(a.id.dropFirst("bridge-".count))]!
                let (step, due) = m.bridgeProjection.nextStep(b)
                features.append(
                    Feature(
                        id: a.id, geometry: Self.point(a.location),
                        properties: [
                            "id": .s(a.id), "name": .s(a.name), "municipality": .s(a.municipality), "road": .s(b.census.road),
                            "km": .n(b.census.kmStart),
                            "classOfAttention": .opt(a.class), "classProvisional": .b(b.attention?.provisional ?? false),
                            "classMissing": .opt(b.attention.flatMap { $0.missing.isEmpty ? nil : $0.missing.joined(separator: "; ") }),
                            "state": .s(a.state), "firingAlerts": .i(a.firingAlerts),
                            "lastInspection": .opt(b.lastInspection),
                            "nextStep": .s(step), "due": .opt(due), "trafficMeasure": .opt(b.traffic?.rawValue),
                        ]))
            }
        case "buildings":
            for a in rows where a.domain == "building" {
                features.append(
                    Feature(
                        id: a.id, geometry: Self.point(a.location),
                        properties: [
                            "id": .s(a.id), "name": .s(a.name), "municipality": .s(a.municipality), "state": .s(a.state),
                            "firingAlerts": .i(a.firingAlerts),
                        ]))
            }
        case "wastesites":
            for a in rows where a.domain == "wastesite" {
                let s = m.wasteSites.sites[String(a.id.dropFirst("wastesite-".count))]!
                features.append(
                    Feature(
                        id: a.id, geometry: Self.point(a.location),
                        properties: [
                            "id": .s(a.id), "operator": .s(s.operatorName), "municipality": .s(a.municipality),
                            "hazardGrade": .s(s.hazardGrade.rawValue),
                            "state": .s(a.state), "firingAlerts": .i(a.firingAlerts), "openNonCompliances": .i(s.openItems.count),
                            "lastInspection": .opt(s.lastInspection),
                        ]))
            }
        default:
            throw APIProblem.badRequest("layer", "must be bridges, buildings or wastesites (got '\(layer.prefix(30))')", code: .enumeration)
        }
        return Self.json(try Self.encode(FeatureCollection(name: "presidio-\(layer)", features: features)), contentType: "application/geo+json")
    }

    /// What the public may see of a bridge (MetroponTE is open to public consultation).
    struct PublicBridge: Encodable {
        var id: String
        var name: String
        var road: String
        var km: Double
        var municipality: String
        var location: GeoPoint
        var classOfAttention: String?
        /// The class waits for forms or census data and may still get worse.
        var classProvisional: Bool
        var lastInspection: String?
        var trafficMeasure: String?
        var loadLimitTonnes: Double?
    }

    struct PublicWasteSite: Encodable {
        var id: String
        var operatorName: String
        var municipality: String
        var location: GeoPoint?
        var hazardGrade: String
        var fireCertificate: String
        var lastInspection: String?
    }

    func publicBridge(_ m: ReadModel, _ b: BridgeProjection.Bridge) -> PublicBridge {
        let classes = m.bridgeProjection.rules.classes
        return PublicBridge(
            id: "bridge-\(b.census.bridgeId)", name: b.census.name, road: b.census.road, km: b.census.kmStart, municipality: b.census.municipality,
            location: b.census.location, classOfAttention: b.attention?.overall.flatMap { classes.indices.contains($0 - 1) ? classes[$0 - 1] : nil },
            classProvisional: b.attention?.provisional ?? false,
            lastInspection: b.lastInspection, trafficMeasure: b.traffic?.rawValue, loadLimitTonnes: b.loadLimitTonnes)
    }

    func publicSite(_ s: WasteSiteProjection.Site) -> PublicWasteSite {
        PublicWasteSite(
            id: "wastesite-\(s.siteId)", operatorName: s.operatorName, municipality: s.municipality, location: s.location,
            hazardGrade: s.hazardGrade.rawValue,
            fireCertificate: s.cpiStatus.rawValue, lastInspection: s.lastInspection)
    }

    func publicList(_ r: Request, _ c: APIContext, domain: AssetID.Domain) throws -> Response {
        let m = try model()
        let municipality = query(r, "municipality")?.lowercased()
        if domain == .bridge {
            let rows = m.bridges.bridges.values.map { publicBridge(m, $0) }.filter {
                municipality == nil || $0.municipality.lowercased() == municipality
            }
            return try page(rows.sorted { $0.id < $1.id }, key: \.id, r)
        }
        let rows = m.wasteSites.sites.values.map(publicSite).filter { municipality == nil || $0.municipality.lowercased() == municipality }
        return try page(rows.sorted { $0.id < $1.id }, key: \.id, r)
    }

    func publicOne(_ r: Request, _ c: APIContext, domain: AssetID.Domain) throws -> Response {
        let m = try model()
        let raw = c.parameters.get("id") ?? ""
        let key = raw.hasPrefix("\(domain.rawValue)-") ? String(raw.dropFirst(domain.rawValue.count + 1)) : raw
        if domain == .bridge {
            guard let b = m.bridges.bridges[key] else { throw APIProblem.notFound("no bridge \(raw)") }
            return try Self.json(publicBridge(m, b))
        }
        guard let s = m.wasteSites.sites[key] else { throw APIProblem.notFound("no waste site \(raw)") }
        return try Self.json(publicSite(s))
    }
}
