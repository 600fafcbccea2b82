import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Projections

/// The HTTP API: one router for every process role (workers serve only health and metrics).
public struct PresidioRoutes: Sendable {
    let env: APIEnvironment

    public init(env: APIEnvironment) { self.env = env }

    public func router() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: ProblemMiddleware(logger: env.logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AuthMiddleware(tokens: env.tokens))
        router.get("/healthz") { _, _ in Self.json(Data(#"{"status":"ok"}"#.utf8)) }
        router.get("/readyz") { _, _ in try await ready() }
        router.get("/metrics") { _, _ in try await metrics() }
        router.get("/openapi.json") { _, _ in Self.json(OpenAPIDocument.data) }
        guard env.role.servesAPI else { return router }

        let v1 = router.group("v1")
        v1.post("submissions/:kind") { r, c in try await submit(r, c) }
        v1.get("assets") { r, c in try await assets(r, c) }
        v1.get("assets/:id") { r, c in try await asset(r, c) }
        v1.get("assets/:id/events") { r, c in try await assetEvents(r, c) }
        v1.get("alerts") { r, c in try alerts(r, c) }
        v1.get("alerts/:id") { r, c in try alert(r, c) }
        v1.post("alerts/:id/acknowledge") { r, c in try await act(r, c, kind: "alert-acknowledgement") }
        v1.post("alerts/:id/resolve") { r, c in try await act(r, c, kind: "alert-resolution") }
        v1.post("alerts/:id/reopen") { r, c in try await act(r, c, kind: "alert-reopening") }
        v1.get("queues/:name") { r, c in try queue(r, c) }
        v1.get("projections") { r, c in try await projections(r, c) }
        v1.get("rulesets") { r, c in try rulesets(r, c) }
        v1.get("feed") { r, c in try await feed(r, c) }
        v1.get("feed/groups/:group/members/:member") { r, c in try await feedPosition(r, c) }
        v1.put("feed/groups/:group/members/:member") { r, c in try await commitFeedPosition(r, c) }
        v1.get("export/geojson") { r, c in try geojson(r, c) }
        v1.get("public/bridges") { r, c in try publicList(r, c, domain: .bridge) }
        v1.get("public/bridges/:id") { r, c in try publicOne(r, c, domain: .bridge) }
        v1.get("public/wastesites") { r, c in try publicList(r, c, domain: .wastesite) }
        v1.get("public/wastesites/:id") { r, c in try publicOne(r, c, domain: .wastesite) }
        v1.get("tokens") { r, c in try await listTokens(r, c) }
        v1.post("tokens") { r, c in try await createToken(r, c) }
        v1.delete("tokens/:id") { r, c in try await revokeToken(r, c) }
        addAuditRoutes(v1)
        return router
    }

    // MARK: helpers

    static func encode<T: Encodable>(_ v: T) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(v)
    }

    static func json(_ data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    static func json<T: Encodable>(_ v: T, status: HTTPResponse.Status = .ok) throws -> Response { json(try encode(v), status: status) }

    /// The read model, or 503 while the first catch-up runs.
    func model() throws -> ReadModel {
        guard let m = env.live.model else {
            var p = APIProblem(.serviceUnavailable, "the projections are still catching up with the log; retry shortly")
            p.headers[.retryAfter] = "2"
            throw p
        }
        return m
    }

    static let readRoles: Set<Role> = [.engineer, .auditor, .inspector]

    func query(_ r: Request, _ name: String) -> String? { r.uri.queryParameters[name[...]].map(String.init) }

    func limit(_ r: Request, default d: Int = 100, max: Int = 1000) throws -> Int {
        guard let s = query(r, "limit") else { return d }
        guard let n = Int(s), n >= 1, n <= max else {
            throw APIProblem.badRequest("limit", "must be an integer from 1 to \(max) (got '\(s.prefix(20))')", code: .range)
        }
        return n
    }

    func uint(_ r: Request, _ name: String) throws -> UInt64? {
        guard let s = query(r, name) else { return nil }
        guard let n = UInt64(s) else { throw APIProblem.badRequest(name, "must be a non-negative integer (got '\(s.prefix(20))')", code: .type) }
        return n
    }

    func day(_ r: Request) throws -> Date {
        guard let s = query(r, "today") else { return Date() }
        guard let d = DomainTime.date(s) else { throw APIProblem.badRequest("today", "must be a date YYYY-MM-DD (got '\(s.prefix(20))')") }
        return d
    }

    /// A page of `items` after the opaque cursor (the sort key of the last item seen).
    func page<T: Encodable>(_ items: [T], key: (T) -> String, _ r: Request) throws -> Response {
        let n = try limit(r)
        var start = 0
        if let c = query(r, "cursor") {
            guard let d = Data(base64Encoded: c), let after = String(data: d, encoding: .utf8) else {
                throw APIProblem.badRequest("cursor", "is not a cursor this API returned")
            }
            start = items.firstIndex { key($0) > after } ?? items.count
        }
        let slice = Array(items[start..<min(items.count, start + n)])
        let next = start + n < items.count ? slice.last.map { Data(key($0).utf8).base64EncodedString() } : nil
        return try Self.json(Page(items: slice, total: items.count, nextCursor: next, position: env.live.position))
    }
}

/// One page of a list, with the cursor of the next.
struct Page<T: Encodable>: Encodable {
    var items: [T]
    var total: Int
    var nextCursor: String?
    var position: UInt64
}
