import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Projections

/// Assets, alerts, queues, projection status and rule sets.
extension PresidioRoutes {
    /// One row of the asset list: what a map or a table needs, with the state in one word.
    struct AssetSummary: Codable, Sendable {
        var id: String
        var domain: String
        var name: String
        var municipality: String
        /// Bridges: Class of Attention; waste sites: hazard grade; meters: kind; buildings: heating-free "building".
        var `class`: String?
        /// Bridges: the class waits for forms or census data (named in the asset's `missing`).
        var provisional: Bool?
        /// `alert` when any alert is firing, else `normal`; bridges not classifiable: `unclassified`.
        var state: String
        var firingAlerts: Int
        var location: GeoPoint?
    }

    func summaries(_ m: ReadModel) -> [AssetSummary] {
        var firing: [String: Int] = [:]
        for a in m.allAlerts where a.state == .firing { firing[a.asset, default: 0] += 1 }
        func state(_ id: String, classified: Bool = true) -> String { firing[id, default: 0] > 0 ? "alert" : classified ? "normal" : "unclassified" }
        var out: [AssetSummary] = []
        let classes = m.bridgeProjection.rules.classes
        for b in m.bridges.bridges.values {
            let id = "bridge-\(b.census.bridgeId)"
            let cls = b.attention?.overall.flatMap { classes.indices.contains($0 - 1) ? classes[$0 - 1] : nil }
            out.append(
                AssetSummary(
                    id: id, domain: "bridge", name: b.census.name, municipality: b.census.municipality, class: cls,
                    provisional: b.attention?.provisional,
                    state: state(id, classified: cls != nil),
                    firingAlerts: firing[id, default: 0], location: b.census.location))
        }
        for s in m.wasteSites.sites.values {
            let id = "wastesite-\(s.siteId)"
            out.append(
                AssetSummary(
                    id: id, domain: "wastesite", name: s.operatorName, municipality: s.municipality, class: s.hazardGrade.rawValue, state: state(id),
                    firingAlerts: firing[id, default: 0], location: s.location))
        }
        for b in m.meters.buildings.values {
            let id = "building-\(b.buildingId)"
            let meterAlerts = m.meters.meters.values.filter { $0.buildingId == b.buildingId }.reduce(0) {
                $0 + firing["meter-\($1.meterId)", default: 0]
            }
            out.append(
                AssetSummary(
                    id: id, domain: "building", name: b.name, municipality: b.municipality, class: nil, state: meterAlerts > 0 ? "alert" : "normal",
                    firingAlerts: meterAlerts, location: b.location))
        }
        for mt in m.meters.meters.values {
            let id = "meter-\(mt.meterId)"
            let b = m.meters.buildings[mt.buildingId]
            out.append(
                AssetSummary(
                    id: id, domain: "meter", name: "\(mt.kind.rawValue) meter of \(b?.name ?? mt.buildingId)", municipality: b?.municipality ?? "",
                    class: mt.kind.rawValue, state: state(id), firingAlerts: firing[id, default: 0], location: b?.location))
        }
        return out.sorted { $0.id < $1.id }
    }

    func assets(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "listing assets")
        let m = try model()
        let domain = query(r, "domain")
        if let domain, AssetID.Domain(rawValue: domain) == nil {
            throw APIProblem.badRequest(
                "domain", "must be one of \(AssetID.Domain.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(domain.prefix(30))')",
                code: .enumeration)
        }
        let municipality = query(r, "municipality")?.lowercased()
        let cls = query(r, "class")?.lowercased()
        let state = query(r, "state")
        if let state, !["alert", "normal", "unclassified"].contains(state) {
            throw APIProblem.badRequest("state", "must be alert, normal or unclassified (got '\(state.prefix(30))')", code: .enumeration)
        }
        let rows = summaries(m).filter { a in
            (domain == nil || a.domain == domain) && (municipality == nil || a.municipality.lowercased() == municipality)
                && (cls == nil || a.class?.lowercased() == cls) && (state == nil || a.state == state)
        }
        return try page(rows, key: \.id, r)
    }

    func asset(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "reading an asset")
        let id = c.parameters.get("id") ?? ""
        let asOf = try uint(r, "asOf")
        let asOfTime = query(r, "asOfTime")
        let clockText = query(r, "clock") ?? "recorded"
        guard let clock = ReplayLimit.Clock(rawValue: clockText) else {
            throw APIProblem.badRequest("clock", "must be recorded or observed (got '\(clockText.prefix(40))')")
        }
        do {
            let live = try model()
            var micros: Int64?
            if let t = asOfTime {
                guard let d = DomainTime.dateTime(t) else {
                    throw APIProblem.badRequest("asOfTime", "must be an RFC 3339 date-time (got '\(t.prefix(40))')")
                }
                micros = Int64(d.timeIntervalSince1970 * 1_000_000)
            }
            if let asOf {
                let head = try await env.store.headPosition()
                guard asOf <= head else {
                    throw APIProblem.badRequest("asOf", "must be a log position up to the head \(head) (got \(asOf))", code: .range)
                }
            }
            // A replay to now or later is the live view: no replay needed.
            let timeIsNow = clock == .recorded && (micros.map { $0 >= Int64(Date().timeIntervalSince1970 * 1_000_000) } ?? true)
            let positionIsNow = asOf.map { $0 >= live.position } ?? true
            if (asOf != nil || asOfTime != nil) && !(timeIsNow && positionIsNow) {
                let v = try await AssetView.asOf(
                    id, store: env.store, rulesDirectory: env.rulesDirectory, position: asOf, time: micros, timeText: asOfTime, clock: clock)
                return try Self.json(v)
            }
            var r = try Self.json(try AssetView.make(id, in: live, asOfPosition: asOf, asOfTime: asOfTime))
            // The stream version: what If-Match on a registry edit of this asset refers to.
            if let v = try await env.store.streamVersion(id) { r.headers[.eTag] = "\"\(v)\"" }
            return r
        } catch let e as AssetView.LookupError {
            switch e {
            case .malformed: throw APIProblem.badRequest("id", e.description)
            case .beyondHead: throw APIProblem.badRequest("asOf", e.description, code: .range)
            case .notFound, .beforeFirstRecord, .notObservedBy: throw APIProblem.notFound(e.description)
            }
        }
    }

    /// The asset's own events (and, for a building, nothing else): who submitted what, when
    /// it was observed and when the log recorded it.
    struct HistoryEntry: Encodable {
        var position: UInt64
        var version: UInt64
        var type: String
        var actor: String
        var observedAt: String?
        var recordedAt: String
        var id: String
    }

    func assetEvents(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "reading an asset's history")
        let id = c.parameters.get("id") ?? ""
        guard AssetID(id) != nil else { throw APIProblem.badRequest("id", AssetView.LookupError.malformed(id).description) }
        let from = try uint(r, "fromVersion") ?? 0
        let n = try limit(r, default: 100, max: 1000)
        let events = try await env.store.readStream(id, from: from, limit: n + 1)
        if events.isEmpty && from == 0 { throw APIProblem.notFound("no events for \(id)") }
        let out = events.prefix(n).map { e in
            let obj = (try? JSONSerialization.jsonObject(with: e.payload)) as? [String: Any]
            return HistoryEntry(
                position: e.position, version: e.version, type: e.type, actor: e.actor, observedAt: obj?["observedAt"] as? String,
                recordedAt: EventJSON.rfc3339(micros: e.recordedAt), id: e.id.uuidString.lowercased())
        }
        // Each entry carries its payload as the exact bytes the log holds.
        var body = Data("{\"asset\":".utf8) + (try Self.encode(id)) + Data(",\"events\":[".utf8)
        for (k, (entry, e)) in zip(out, events).enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            var obj = try Self.encode(entry)
            obj.removeLast()
            body += obj + Data(",\"data\":".utf8) + e.payload + Data("}".utf8)
        }
        body += Data("],\"nextFromVersion\":\(events.count > n ? String(events[n].version) : "null")}".utf8)
        return Self.json(body)
    }

    func alertKey(_ a: AlertRecord) -> String {
        let sev = AlertSeverity.allCases.sorted(by: >).firstIndex(of: a.severity) ?? 9
        let newest = String(UInt64.max - a.raisedPosition)
        return "\(a.state == .firing ? 0 : 1)|\(sev)|\(String(repeating: "0", count: 20 - newest.count))\(newest)|\(a.id)"
    }

    func alerts(_ r: Request, _ c: APIContext) throws -> Response {
        _ = try c.require(Self.readRoles, "listing alerts")
        let m = try model()
        let state = query(r, "state")
        if let state, AlertRecord.State(rawValue: state) == nil {
            throw APIProblem.badRequest("state", "must be firing or resolved (got '\(state.prefix(30))')", code: .enumeration)
        }
        let severity = query(r, "severity")
        if let severity, AlertSeverity(rawValue: severity) == nil {
            throw APIProblem.badRequest(
                "severity", "must be one of \(AlertSeverity.allCases.map(\.rawValue).joined(separator: ", "))", code: .enumeration)
        }
        let domain = query(r, "domain")
        if let domain, AssetID.Domain(rawValue: domain) == nil {
            throw APIProblem.badRequest(
                "domain", "must be one of \(AssetID.Domain.allCases.map(\.rawValue).joined(separator: ", "))", code: .enumeration)
        }
        let asset = query(r, "asset")
        let rule = query(r, "rule")
        let keyed =
            asset.map { m.alerts(of: $0).map { (key: alertKey($0), alert: $0) }.sorted { $0.key < $1.key } }
            ?? env.live.alertsByKey(m, key: alertKey)
        let domainPrefix = domain.map { $0 + "-" }
        let rows = keyed.filter { row in
            let a = row.alert
            return (state == nil || a.state.rawValue == state) && (severity == nil || a.severity.rawValue == severity)
                && (domainPrefix == nil || a.asset.hasPrefix(domainPrefix!)) && (rule == nil || a.rule == rule)
        }
        // The page after the cursor: rows are in key order, so a binary search finds it.
        let n = try limit(r)
        var start = 0
        if let c = query(r, "cursor") {
            guard let d = Data(base64Encoded: c), let after = String(data: d, encoding: .utf8) else {
                throw APIProblem.badRequest("cursor", "is not a cursor this API returned")
            }
            var (lo, hi) = (0, rows.count)
            while lo < hi {
                let mid = (lo + hi) / 2
                if rows[mid].key <= after { lo = mid + 1 } else { hi = mid }
            }
            start = lo
        }
        let slice = rows[start..<min(rows.count, start + n)]
        let next = start + n < rows.count ? slice.last.map { Data($0.key.utf8).base64EncodedString() } : nil
        return try Self.json(Page(items: slice.map(\.alert), total: rows.count, nextCursor: next, position: m.position))
    }

    func alert(_ r: Request, _ c: APIContext) throws -> Response {
        _ = try c.require(Self.readRoles, "reading an alert")
        let id = c.parameters.get("id") ?? ""
        guard let a = try model().alert(id: id) else { throw APIProblem.notFound("no alert \(id)") }
        return try Self.json(a)
    }

    /// Acknowledge / resolve / reopen: a person's action, appended as an event with a note.
    func act(_ r: Request, _ c: APIContext, kind: String) async throws -> Response {
        let p = try c.require([.engineer], "acting on an alert")
        let id = c.parameters.get("id") ?? ""
        let body = try await collect(r, c)
        let media = r.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !body.isEmpty, media != "application/json" { throw APIProblem(.unsupportedMediaType, "send the note as application/json") }
        guard let obj = (body.isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: body))) as? [String: Any] else {
            throw APIProblem.badRequest("body", "must be a JSON object like {\"note\": \"…\"}")
        }
        let field = kind == "alert-acknowledgement" ? "note" : "reason"
        let allowed: Set<String> = [field, "observedAt"]
        var problems: [Problem] = obj.keys.filter { !allowed.contains($0) }.sorted().map {
            Problem($0, .unknownField, "is not a field of this action (send \(field) and optionally observedAt)")
        }
        let text = obj[field] as? String
        if text == nil { problems.append(Problem(field, .required, "is required: say why, for the record")) }
        if !problems.isEmpty {
            throw APIProblem(.unprocessableContent, "the action has \(problems.count) problem(s); nothing was appended", problems: problems)
        }
        guard let a = try model().alert(id: id) else { throw APIProblem.notFound("no alert \(id)") }
        // The read model shows an alert as soon as it fires; its AlertRaised reaches the log with
        // the workers' next publication (at most every 100 ms). Wait for it briefly rather than
        // refuse a person's action on an alert they can see.
        if !a.raisePublished {
            for _ in 0..<100 where try await env.store.streamVersion("alert-\(a.id)") == nil {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        // Now, in the form the catalogue declares for this action (a resolution is dated, an
        // acknowledgement and a reopening are timed): a timestamp for all three refused every
        // resolution sent without observedAt.
        let dated = Catalog.entry(kind: kind)?.type.fields.first { $0.name == "observedAt" }.map { if case .date = $0.type { true } else { false } }
        let observed = (obj["observedAt"] as? String) ?? (dated == true ? DomainTime.dayString(Date()) : ISO8601DateFormatter().string(from: Date()))
        let payload: [String: Any] = ["alertId": a.id, "observedAt": observed, field: text!]
        let json = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
        return try await idempotent(r, c, principal: p, fingerprint: Data("\(kind)\n".utf8) + json) { submissionId in
            // The lifecycle: acknowledge or resolve a firing alert, reopen a resolved one (checked
            // here, inside the idempotent step, so a retry of an accepted action is still a 200).
            let now = try model().alert(id: id) ?? a
            let (allowed, verb) =
                switch kind {
                case "alert-acknowledgement": (now.state == .firing, "acknowledged")
                case "alert-resolution": (now.state == .firing, "resolved")
                default: (now.state == .resolved, "reopened")
                }
            guard allowed else {
                throw APIProblem(
                    .conflict, "alert \(id) is \(now.state.rawValue): it cannot be \(verb); nothing was appended",
                    problems: [Problem("id", .inconsistent, "the alert is \(now.state.rawValue)")])
            }
            let res = try await Submitter(store: env.store, cache: env.facts).submit(
                kind: kind, json: json, actor: actor(p, r), submissionId: submissionId)
            return try await accepted(res)
        }
    }

    func queue(_ r: Request, _ c: APIContext) throws -> Response {
        _ = try c.require(Self.readRoles, "reading a queue")
        let name = c.parameters.get("name") ?? ""
        let m = try model()
        let today = try day(r)
        let n = try limit(r, default: 100, max: 5000)
        struct Queue<T: Encodable>: Encodable {
            var queue: String
            var today: String
            var ruleSet: String
            var advisory: [String]
            var position: UInt64
            var total: Int
            var entries: [T]
        }
        let d = DomainTime.dayString(today)
        switch name {
        case "safety":
            let q = m.safetyQueue(today: today)
            let rs = m.bridgeProjection.ruleSet
            return try Self.json(
                Queue(
                    queue: name, today: d, ruleSet: rs.label, advisory: rs.advisory, position: m.position, total: q.count, entries: Array(q.prefix(n))
                ))
        case "inspection":
            let q = m.inspectionQueue(today: today)
            let rs = m.wasteSiteProjection.ruleSet
            return try Self.json(
                Queue(
                    queue: name, today: d, ruleSet: rs.label, advisory: rs.advisory, position: m.position, total: q.count, entries: Array(q.prefix(n))
                ))
        case "overdue":
            let q = m.overdueInspections(today: today)
            let rs = m.bridgeProjection.ruleSet
            return try Self.json(
                Queue(
                    queue: name, today: d, ruleSet: rs.label, advisory: rs.advisory, position: m.position, total: q.count, entries: Array(q.prefix(n))
                ))
        default:
            throw APIProblem.notFound("no queue '\(name)': safety, inspection or overdue")
        }
    }

    struct ProjectionInfo: Encodable {
        var name: String
        var ruleSet: RuleSetInfo
        var position: UInt64
        var head: UInt64
        var lag: UInt64
        var alertsFiring: Int
    }

    func projections(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles.union([.ingest]), "reading projection status")
        let m = try model()
        let head = try await env.store.headPosition()
        let lag = head > m.position ? head - m.position : 0
        let firing = { (a: [String: AlertRecord]) in a.values.filter { $0.state == .firing }.count }
        let rows = [
            ProjectionInfo(
                name: "bridges", ruleSet: m.bridgeProjection.ruleSet, position: m.position, head: head, lag: lag,
                alertsFiring: firing(m.bridges.alerts)),
            ProjectionInfo(
                name: "meters", ruleSet: m.meterProjection.ruleSet, position: m.position, head: head, lag: lag, alertsFiring: firing(m.meters.alerts)),
            ProjectionInfo(
                name: "wastesites", ruleSet: m.wasteSiteProjection.ruleSet, position: m.position, head: head, lag: lag,
                alertsFiring: firing(m.wasteSites.alerts)),
        ]
        return try Self.json(["projections": rows])
    }

    func rulesets(_ r: Request, _ c: APIContext) throws -> Response {
        _ = try c.require(Self.readRoles.union([.ingest]), "reading rule sets")
        return try Self.json(["ruleSets": try model().ruleSets])
    }
}
