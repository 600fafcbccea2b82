import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import Projections

/// Health, readiness, metrics, and token administration.
extension PresidioRoutes {
    struct Readiness: Encodable {
        var ready: Bool
        var role: String
        var head: UInt64
        var position: UInt64?
        var lag: UInt64?
        var reason: String?
    }

    /// Ready when the store answers and the read model is within `readyLag` events of the head.
    func ready() async throws -> Response {
        let head: UInt64
        do { head = try await env.store.headPosition() } catch {
            return try Self.json(Readiness(ready: false, role: env.role.rawValue, head: 0, reason: "store: \(error)"), status: .serviceUnavailable)
        }
        guard let m = env.live.model else {
            return try Self.json(
                Readiness(ready: false, role: env.role.rawValue, head: head, reason: "projections catching up"), status: .serviceUnavailable)
        }
        let lag = head > m.position ? head - m.position : 0
        let ok = lag <= env.readyLag
        return try Self.json(
            Readiness(
                ready: ok, role: env.role.rawValue, head: head, position: m.position, lag: lag, reason: ok ? nil : "projections \(lag) events behind"),
            status: ok ? .ok : .serviceUnavailable)
    }

    func metrics() async throws -> Response {
        if let m = env.live.model {
            let head = (try? await env.store.headPosition()) ?? m.position
            Gauge(label: "presidio_log_head").record(Int64(head))
            Gauge(label: "presidio_projection_lag_events").record(Int64(head > m.position ? head - m.position : 0))
            var counts: [String: Int] = [:]
            for a in m.allAlerts { counts["\(a.state.rawValue)|\(a.severity.rawValue)", default: 0] += 1 }
            for state in ["firing", "resolved"] {
                for sev in AlertSeverity.allCases {
                    Gauge(label: "presidio_alerts", dimensions: [("state", state), ("severity", sev.rawValue)]).record(
                        counts["\(state)|\(sev.rawValue)", default: 0])
                }
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: env.metrics.text())))
    }

    func listTokens(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require([.admin], "listing tokens")
        return try Self.json(["tokens": try await env.tokens.list()])
    }

    func createToken(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require([.admin], "creating tokens")
        let body = try await collect(r, c)
        guard let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw APIProblem.badRequest("body", "must be a JSON object like {\"role\": \"inspector\", \"name\": \"ing. Rossi\"}")
        }
        var problems: [Problem] = obj.keys.filter { $0 != "role" && $0 != "name" }.sorted().map {
            Problem($0, .unknownField, "is not a field (role, name)")
        }
        let roleText = obj["role"] as? String
        let role = roleText.flatMap(Role.init(rawValue:)).flatMap { Role.creatable.contains($0) ? $0 : nil }
        if role == nil {
            problems.append(
                Problem(
                    "role", roleText == nil ? .required : .enumeration, "must be one of \(Role.creatable.map(\.rawValue).joined(separator: ", "))"))
        }
        let name = obj["name"] as? String
        if name == nil { problems.append(Problem("name", .required, "is required: the principal recorded as the actor of every event")) }
        if !problems.isEmpty { throw APIProblem(.unprocessableContent, "the token request has \(problems.count) problem(s)", problems: problems) }
        // A token is shown once and only its hash is kept, so a retried creation cannot be
        // answered with the same token: the retry learns which token its key created.
        var keyScope: String?
        if let key = r.headers[HTTPField.Name("Idempotency-Key")!] {
            keyScope = "tokens|" + key
            if let d = try await env.state.get("idempotency", keyScope!), let id = String(data: d, encoding: .utf8) {
                throw APIProblem(
                    .conflict,
                    "Idempotency-Key '\(key)' already created token \(id); tokens are shown once (revoke it and create another if it was lost)")
            }
        }
        do {
            let (token, record) = try await env.tokens.create(role: role!, name: name!)
            if let keyScope { try await env.state.put("idempotency", keyScope, Data(record.id.utf8)) }
            struct Created: Encodable {
                var token: String
                var record: TokenRecord
            }
            return try Self.json(Created(token: token, record: record), status: .created)
        } catch let e as TokenError {
            throw APIProblem(.unprocessableContent, e.description, problems: [Problem("name", .length, e.description)])
        }
    }

    func revokeToken(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require([.admin], "revoking tokens")
        let id = c.parameters.get("id") ?? ""
        do {
            let revoked = try await env.tokens.revoke(id)
            if revoked.isEmpty { throw APIProblem.notFound("no active token \(id)") }
            return try Self.json(["revoked": revoked])
        } catch let e as TokenError {
            throw APIProblem(.conflict, e.description)
        }
    }
}
