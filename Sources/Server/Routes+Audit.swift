import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Projections

/// `/v1/audit/…`: what auditors ask the CLI's `audit` commands, over HTTP (auditor and admin
/// tokens). Replays run from the log alone, without the live model or any snapshot.
extension PresidioRoutes {
    static let auditRoles: Set<Role> = [.auditor, .admin]

    func addAuditRoutes(_ v1: RouterGroup<APIContext>) {
        v1.get("audit/verify") { r, c in try await auditVerify(r, c) }
        v1.get("audit/history/:id") { r, c in try await auditHistory(r, c) }
        v1.get("audit/replay") { r, c in try await auditReplay(r, c) }
        v1.get("audit/diff") { r, c in try await auditDiff(r, c) }
        v1.get("audit/report") { r, c in try await auditReport(r, c) }
        v1.post("audit/redactions") { r, c in try await auditRedact(r, c) }
    }

    struct AuditVerifyBody: Encodable {
        var report: VerifyReport
        var repairs: [LogRepair]
        var redactions: [LogRedaction]
    }

    func auditVerify(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.auditRoles, "verifying the log")
        let report = try await env.store.verify()
        let repairs = try await LogRepair.recorded(in: env.store)
        let redactions = try await LogRedaction.recorded(in: env.store)
        return try Self.json(AuditVerifyBody(report: report, repairs: repairs, redactions: redactions))
    }

    func auditHistory(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.auditRoles, "reading an asset's history")
        let id = c.parameters.get("id") ?? ""
        guard let asset = AssetID(id) else { throw APIProblem.badRequest("id", "asset ids look like \(AssetID.examples) (got '\(id.prefix(60))')") }
        let h = try await AssetHistory.load(asset, store: env.store)
        if h.entries.isEmpty { throw APIProblem.notFound("no events on \(asset): no such asset in this log") }
        return try Self.json(h)
    }

    func replayLimit(_ r: Request, _ name: String = "asOf") throws -> ReplayLimit {
        switch ReplayLimit.parse(asOf: query(r, name), clock: query(r, "clock") ?? "recorded") {
        case .success(let l):
            if let p = l.position, p == 0 { throw APIProblem.badRequest(name, "must be a position from 1 (got 0)", code: .range) }
            return l
        case .failure(let e): throw APIProblem.badRequest(e.field == "asOf" ? name : e.field, e.reason)
        }
    }

    func auditReplay(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.auditRoles, "replaying the log")
        let viewText = query(r, "view") ?? "alerts"
        guard let view = AuditReplay.View(rawValue: viewText) else {
            throw APIProblem.badRequest(
                "view", "must be one of \(AuditReplay.View.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(viewText.prefix(40))')")
        }
        let l = try replayLimit(r)
        let rules = (query(r, "rules") ?? "").split(separator: ",").map(String.init)
        let versions: [String: Int]
        switch ReplayLimit.parseVersions(rules) {
        case .success(let v): versions = v
        case .failure(let e): throw APIProblem.badRequest("rules", e.reason)
        }
        let replayed: AuditReplay.Replayed
        do {
            replayed = try await AuditReplay.replay(store: env.store, rulesDirectory: env.rulesDirectory, limit: l, versions: versions)
        } catch let e as RuleSetError {
            throw APIProblem.badRequest("rules", e.description, code: .range)
        }
        return Self.json(AuditReplay.result(replayed, view: view, limit: l).json)
    }

    func auditDiff(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.auditRoles, "comparing two moments")
        guard query(r, "from") != nil else { throw APIProblem.badRequest("from", "is required: a position, an RFC 3339 time or a date") }
        let a = try replayLimit(r, "from")
        let b = try replayLimit(r, "to")
        let ra = try await AuditReplay.replay(store: env.store, rulesDirectory: env.rulesDirectory, limit: a)
        let rb = try await AuditReplay.replay(store: env.store, rulesDirectory: env.rulesDirectory, limit: b)
        return try Self.json(AuditDiff.between(ra, rb, clock: a.clock))
    }

    /// Admins only: personal fields of one event replaced by a tombstone (`AuditRedaction`).
    func auditRedact(_ r: Request, _ c: APIContext) async throws -> Response {
        let p = try c.require([.admin], "redacting an event")
        let body = try await collect(r, c)
        guard let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw APIProblem.badRequest(
                "body", "must be a JSON object like {\"position\": 42, \"fields\": [\"inspector\"], \"reason\": \"GDPR art. 17 request\"}")
        }
        var problems: [Problem] = obj.keys.filter { !["position", "fields", "reason"].contains($0) }.sorted().map {
            Problem($0, .unknownField, "is not a field (position, fields, reason)")
        }
        let position = obj["position"].flatMap(FieldType.integer).flatMap { $0 >= 1 ? UInt64($0) : nil }
        if position == nil {
            problems.append(Problem("position", obj["position"] == nil ? .required : .type, "must be a log position (an integer from 1)"))
        }
        let fields = obj["fields"] as? [String]
        if fields?.isEmpty ?? true {
            problems.append(
                Problem(
                    "fields", obj["fields"] == nil ? .required : .type,
                    "must be a non-empty array of field paths, e.g. [\"inspector\", \"defects[*].photos\"]"))
        }
        let reason = obj["reason"] as? String
        if reason == nil { problems.append(Problem("reason", .required, "is required: why the fields are redacted (recorded in the log)")) }
        if !problems.isEmpty { throw APIProblem(.unprocessableContent, "the redaction request has \(problems.count) problem(s)", problems: problems) }
        do {
            let record = try await AuditRedaction.redact(
                store: env.store, position: position!, fields: fields!, reason: reason!, actor: actor(p, r))
            return try Self.json(record)
        } catch let e as AuditInputError {
            if e.field == "position", e.range { throw APIProblem.notFound(e.reason) }
            throw APIProblem(.unprocessableContent, "the redaction request has 1 problem", problems: [Problem(e.field, .range, e.reason)])
        }
    }

    func auditReport(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.auditRoles, "reporting on the log")
        let formatText = query(r, "format") ?? "json"
        guard let format = AuditReport.Format(rawValue: formatText) else {
            throw APIProblem.badRequest("format", "must be md, csv or json (got '\(formatText.prefix(40))')")
        }
        guard let fromText = query(r, "from") else { throw APIProblem.badRequest("from", "is required: an RFC 3339 time or a date") }
        let period: (from: Int64, to: Int64)
        switch AuditReport.period(from: fromText, to: query(r, "to")) {
        case .success(let p): period = p
        case .failure(let e): throw APIProblem.badRequest(e.field, e.reason, code: e.range ? .range : .format)
        }
        let files = try RuleFileRef.current(directory: env.rulesDirectory)
        let report = try await AuditReport.make(store: env.store, from: period.from, to: period.to, ruleFiles: files)
        let type =
            switch format {
            case .json: "application/json"
            case .md: "text/markdown; charset=utf-8"
            case .csv: "text/csv; charset=utf-8"
            }
        return Self.json(Data(report.rendered(format).utf8), contentType: type)
    }
}
