import Foundation
import Projections

/// What the dashboard reads from the API, decoded into its own small values (the API's JSON is
/// the contract, not the server's Swift types).
public struct AlertRow: Decodable, Equatable, Sendable {
    public struct Ack: Decodable, Equatable, Sendable {
        public var at: String
        public var by: String
        public var note: String
    }
    public var id: String
    public var asset: String
    public var rule: String
    public var severity: String
    public var state: String
    public var evidence: String
    public var raisedOn: String
    public var raisedPosition: UInt64
    public var advisory: Bool
    public var acknowledgements: [Ack]

    public var domain: String { String(asset.prefix { $0 != "-" }) }
    /// firing, acknowledged (firing with an acknowledgement) or resolved.
    public var shownState: String { state == "firing" && !acknowledgements.isEmpty ? "acknowledged" : state }
    public var severityRank: Int { ["critical": 0, "warning": 1, "info": 2][severity] ?? 3 }
}

/// The queues' rows are the projections' own entries, as the API sends them.
public typealias SafetyRow = SafetyQueueEntry
public typealias InspectionRow = InspectionQueueEntry

/// One asset on the map.
public struct MapPoint: Equatable, Sendable {
    public var id: String
    public var lon: Double
    public var lat: Double
    public var municipality: String
    /// Class of attention (bridges) or alert state (waste sites): what colours the dot.
    public var label: String
    public var firingAlerts: Int

    public init(id: String, lon: Double, lat: Double, municipality: String, label: String, firingAlerts: Int) {
        self.id = id
        self.lon = lon
        self.lat = lat
        self.municipality = municipality
        self.label = label
        self.firingAlerts = firingAlerts
    }
}

/// The asset detail view's content, from `/v1/assets/{id}` and `/v1/assets/{id}/events`.
public struct AssetDetail: Equatable, Sendable {
    public struct Event: Equatable, Sendable {
        public var position: UInt64
        public var type: String
        public var actor: String
        public var observedAt: String
        public var recordedAt: String

        public init(position: UInt64, type: String, actor: String, observedAt: String, recordedAt: String) {
            self.position = position
            self.type = type
            self.actor = actor
            self.observedAt = observedAt
            self.recordedAt = recordedAt
        }
    }
    public struct Line: Equatable, Sendable {
        public var name: String
        public var value: String
    }
    public var id: String
    public var summary: [Line]
    public var why: [String]
    public var defects: [String]
    public var alerts: [AlertRow]
    public var events: [Event]
    /// Hourly consumption over the last 7 days of readings (meters), oldest first.
    public var hourly: [Double]
    public var unit: String?

    public init(
        id: String, summary: [(String, String)] = [], why: [String] = [], defects: [String] = [], alerts: [AlertRow] = [], events: [Event] = [],
        hourly: [Double] = [], unit: String? = nil
    ) {
        self.id = id
        self.summary = summary.map { Line(name: $0.0, value: $0.1) }
        self.why = why
        self.defects = defects
        self.alerts = alerts
        self.events = events
        self.hourly = hourly
        self.unit = unit
    }
}

extension AssetDetail {
    /// Builds the detail from the two API answers (JSON objects).
    public static func from(asset: [String: Any], events: [[String: Any]]) -> AssetDetail {
        let id = asset["asset"] as? String ?? "?"
        var summary: [(String, String)] = []
        func add(_ k: String, _ v: Any?) {
            guard let v, !(v is NSNull) else { return }
            let text = (v as? String) ?? (v as? NSNumber).map { "\($0)" } ?? "\(v)"
            if !text.isEmpty { summary.append((k, text)) }
        }
        add("domain", asset["domain"])
        add("class", asset["attentionClass"])
        add("next step", asset["nextStep"])
        add("due", asset["due"])
        add("rule set", asset["ruleSet"])
        var defects: [String] = []
        if let b = asset["bridge"] as? [String: Any] {
            let census = b["census"] as? [String: Any] ?? [:]
            add("name", census["name"])
            add("municipality", census["municipality"])
            add("road", census["road"])
            add("AADT", census["aadt"])
            add("last inspection", (b["inspections"] as? [[String: Any]])?.last?["on"])
            for r in b["needs"] as? [[String: Any]] ?? [] {
                let due = (r["due"] as? String).map { ", due \($0)" } ?? ""
                defects.append("requires \(r["kind"] as? String ?? "?") since \(r["since"] as? String ?? "?")\(due): \(r["reason"] as? String ?? "")")
            }
            if let att = b["attention"] as? [String: Any] {
                for gap in att["notClassifiable"] as? [String] ?? [] { defects.append("data gap: " + gap) }
            }
        }
        if let w = asset["site"] as? [String: Any] ?? asset["wasteSite"] as? [String: Any] {
            for k in ["operator", "municipality", "hazardGrade", "lastInspection", "followUpDue"] { add(k, w[k]) }
        }
        if let m = asset["meter"] as? [String: Any] {
            for k in ["kind", "usage", "interval", "lastAt"] { add(k, m[k]) }
            // A value with its unit, as everywhere else.
            if let v = m["lastValue"] as? NSNumber { add("lastValue", "\(v) \(asset["unit"] as? String ?? "")".trimmingCharacters(in: .whitespaces)) }
        }
        // The newest inspection's defect rows, from the timeline.
        if let inspection = events.last(where: { ($0["type"] as? String) == "BridgeInspected" })?["data"] as? [String: Any] {
            for d in inspection["defects"] as? [[String: Any]] ?? [] where (d["status"] as? String) == "present" {
                let g = (d["g"] as? NSNumber).map { "G\($0)" } ?? "G?"
                let ps = (d["ps"] as? Bool) == true ? " PS" : ""
                defects.append(
                    "\(d["element"] as? String ?? "?") span \((d["span"] as? NSNumber).map { "\($0)" } ?? "?") \(d["code"] as? String ?? "") \(g)\(ps)"
                )
            }
        }
        let alerts = ((asset["alerts"] as? [[String: Any]]) ?? []).compactMap { obj -> AlertRow? in
            (try? JSONSerialization.data(withJSONObject: obj)).flatMap { try? JSONDecoder().decode(AlertRow.self, from: $0) }
        }
        let timeline = events.map {
            Event(
                position: ($0["position"] as? NSNumber)?.uint64Value ?? 0, type: $0["type"] as? String ?? "?", actor: $0["actor"] as? String ?? "?",
                observedAt: $0["observedAt"] as? String ?? "", recordedAt: $0["recordedAt"] as? String ?? "")
        }
        let (hourly, unit) = Self.hourlyConsumption(events)
        return AssetDetail(
            id: id, summary: summary, why: asset["why"] as? [String] ?? [], defects: defects, alerts: alerts, events: timeline, hourly: hourly,
            unit: unit)
    }

    /// Hourly consumption over the last 7 days of a meter's readings: differences of the
    /// cumulative register, a missing reading leaving its hour short, a drop (a replaced or
    /// regressed register) booking nothing.
    static func hourlyConsumption(_ events: [[String: Any]]) -> ([Double], String?) {
        var unit: String?
        var samples: [(Date, Double)] = []
        let iso = ISO8601DateFormatter()
        for e in events {
            guard let data = e["data"] as? [String: Any] else { continue }
            if let u = data["unit"] as? String { unit = u }
            guard (e["type"] as? String) == "MeterReadingsRecorded", let start = (data["observedAt"] as? String).flatMap(iso.date),
                let step = (data["intervalMinutes"] as? NSNumber)?.doubleValue, let values = data["readings"] as? [Any]
            else { continue }
            for (k, v) in values.enumerated() {
                if let n = v as? NSNumber { samples.append((start.addingTimeInterval(Double(k) * step * 60), n.doubleValue)) }
            }
        }
        guard let last = samples.map(\.0).max() else { return ([], unit) }
        samples.sort { $0.0 < $1.0 }
        let from = last.addingTimeInterval(-7 * 86400)
        var hours = Array(repeating: 0.0, count: 7 * 24)
        for k in 1..<max(1, samples.count) where k < samples.count {
            let (t, v) = samples[k]
            guard t > from else { continue }
            let delta = v - samples[k - 1].1
            let h = min(hours.count - 1, Int(t.timeIntervalSince(from) / 3600))
            if delta > 0 { hours[h] += delta }
        }
        return (hours, unit)
    }
}
