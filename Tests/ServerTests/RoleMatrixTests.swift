import Foundation
import HTTPTypes
import HummingbirdTesting
import Server
import Testing

@Suite("Roles × endpoints", .timeLimit(.minutes(2)))
struct RoleMatrixTests {
    struct Endpoint {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        var contentType = "application/json"
        /// nil: public (no token needed); otherwise the roles allowed (admin always is).
        var roles: Set<Role>?
    }

    static let read: Set<Role> = [.engineer, .auditor, .inspector]
    static let endpoints: [Endpoint] = [
        Endpoint(method: .get, path: "/healthz", roles: nil),
        Endpoint(method: .get, path: "/readyz", roles: nil),
        Endpoint(method: .get, path: "/metrics", roles: nil),
        Endpoint(method: .get, path: "/openapi.json", roles: nil),
        Endpoint(method: .get, path: "/v1/public/bridges", roles: nil),
        Endpoint(method: .get, path: "/v1/public/bridges/MI0001", roles: nil),
        Endpoint(method: .get, path: "/v1/public/wastesites", roles: nil),
        Endpoint(method: .get, path: "/v1/public/wastesites/WS0001", roles: nil),
        Endpoint(method: .post, path: "/v1/submissions/bridge-inspection", body: dangerousInspection, roles: [.inspector, .engineer]),
        Endpoint(method: .post, path: "/v1/submissions/wastesite-fire", body: "{}", roles: [.inspector, .engineer]),
        Endpoint(
            method: .post, path: "/v1/submissions/meter-readings",
            body: #"{"meterId":"SC0001-W1","observedAt":"2024-03-12T00:00:00Z","intervalMinutes":15,"readings":[1021.3]}"#,
            roles: [.ingest, .engineer]),
        Endpoint(method: .post, path: "/v1/submissions/tariff", body: "{}", roles: [.engineer]),
        Endpoint(method: .post, path: "/v1/submissions/bridge-census", body: "{}", roles: [.engineer]),
        Endpoint(method: .post, path: "/v1/submissions/alert-acknowledgement", body: "{}", roles: [.engineer]),
        Endpoint(method: .get, path: "/v1/assets", roles: read),
        Endpoint(method: .get, path: "/v1/assets/bridge-MI0001", roles: read),
        Endpoint(method: .get, path: "/v1/assets/bridge-MI0001/events", roles: read),
        Endpoint(method: .get, path: "/v1/alerts", roles: read),
        Endpoint(method: .get, path: "/v1/alerts/none", roles: read),
        Endpoint(method: .post, path: "/v1/alerts/none/acknowledge", body: #"{"note":"x"}"#, roles: [.engineer]),
        Endpoint(method: .post, path: "/v1/alerts/none/resolve", body: #"{"reason":"x"}"#, roles: [.engineer]),
        Endpoint(method: .post, path: "/v1/alerts/none/reopen", body: #"{"reason":"x"}"#, roles: [.engineer]),
        Endpoint(method: .get, path: "/v1/queues/safety", roles: read),
        Endpoint(method: .get, path: "/v1/queues/inspection", roles: read),
        Endpoint(method: .get, path: "/v1/queues/overdue", roles: read),
        Endpoint(method: .get, path: "/v1/projections", roles: read.union([.ingest])),
        Endpoint(method: .get, path: "/v1/rulesets", roles: read.union([.ingest])),
        Endpoint(method: .get, path: "/v1/feed?follow=false", roles: read),
        Endpoint(method: .get, path: "/v1/feed/groups/g/members/0-of-1", roles: read),
        Endpoint(method: .put, path: "/v1/feed/groups/g/members/0-of-1", body: #"{"position":1}"#, roles: read),
        Endpoint(method: .get, path: "/v1/export/geojson?layer=bridges", roles: read),
        Endpoint(method: .get, path: "/v1/audit/verify", roles: [.auditor]),
        Endpoint(method: .get, path: "/v1/audit/history/bridge-MI0001", roles: [.auditor]),
        Endpoint(method: .get, path: "/v1/audit/replay?view=queue-safety&asOf=3", roles: [.auditor]),
        Endpoint(method: .get, path: "/v1/audit/diff?from=1", roles: [.auditor]),
        Endpoint(method: .get, path: "/v1/audit/report?from=2020-01-01&format=md", roles: [.auditor]),
        Endpoint(method: .post, path: "/v1/audit/redactions", body: #"{"position":1,"fields":["name"],"reason":"matrix"}"#, roles: [.admin]),
        Endpoint(method: .get, path: "/v1/tokens", roles: [.admin]),
        Endpoint(method: .post, path: "/v1/tokens", body: #"{"role":"auditor","name":"matrix"}"#, roles: [.admin]),
        Endpoint(method: .delete, path: "/v1/tokens/nonexistent", roles: [.admin]),
    ]

    @Test("every role on every endpoint: 401 without a token, 403 for a role without the right, never 401/403 or 5xx with it")
    func matrix() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            _ = try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok }
            var checked = 0
            for e in Self.endpoints {
                for role in [nil] + Role.creatable.map(Optional.some) {
                    let r = try await client.execute(
                        uri: e.path, method: e.method, headers: h.headers(role, contentType: e.body == nil ? nil : e.contentType),
                        body: e.body.map { buffer($0) })
                    let code = r.status.code
                    #expect(code < 500, "\(e.method) \(e.path) as \(role?.rawValue ?? "anonymous"): \(code) \(r.text.prefix(200))")
                    if let allowed = e.roles {
                        if role == nil {
                            #expect(code == 401, "\(e.method) \(e.path) anonymous: \(code)")
                        } else if allowed.contains(role!) || role == .admin {
                            #expect(code != 401 && code != 403, "\(e.method) \(e.path) as \(role!.rawValue): \(code) \(r.text.prefix(200))")
                        } else {
                            #expect(code == 403, "\(e.method) \(e.path) as \(role!.rawValue): \(code)")
                        }
                    } else {
                        #expect(code != 401 && code != 403, "\(e.method) \(e.path) (public) as \(role?.rawValue ?? "anonymous"): \(code)")
                    }
                    checked += 1
                }
            }
            #expect(checked == Self.endpoints.count * 6)
        }
    }

    @Test("the OpenAPI document is checked in (events/openapi.json) and documents every route of the matrix")
    func openAPIDocumentsEveryRoute() throws {
        let checkedIn = try String(contentsOf: ServerHarness.root.appendingPathComponent("events/openapi.json"), encoding: .utf8)
        #expect(checkedIn == OpenAPIDocument.text, "run `presidio catalog write` after changing the API")
        let doc = try JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any]
        let paths = Set(((doc?["paths"] as? [String: Any]) ?? [:]).keys)
        for e in Self.endpoints {
            let path = String(e.path.split(separator: "?")[0])
            let templ = paths.contains { p in
                let a = p.split(separator: "/"), b = path.split(separator: "/")
                return a.count == b.count && zip(a, b).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }
            #expect(templ, "\(path) is not in the OpenAPI document")
        }
    }
}
