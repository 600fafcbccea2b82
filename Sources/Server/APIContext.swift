import Foundation
import Hummingbird
import HummingbirdAuth
import Logging

/// Per-request context: who is calling (set by `AuthMiddleware`).
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }

    /// Survey batches of a whole month of 15-minute readings fit well within it.
    public var maxUploadSize: Int { 8 << 20 }
}

/// Reads `Authorization: Bearer …` and sets the principal. A missing token leaves the caller
/// anonymous (public routes); a bad or revoked one is a 401 at once.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let tokens: TokenRegistry

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        var context = context
        if let auth = request.headers[.authorization] {
            guard let bearer = request.headers.bearer else {
                throw APIProblem.unauthorized("Authorization: must be 'Bearer <token>'")
            }
            guard let p = try await tokens.authenticate(bearer.token) else {
                throw APIProblem.unauthorized("the bearer token is unknown or revoked")
            }
            _ = auth
            context.principal = p
        }
        return try await next(request, context)
    }
}

/// Turns every error into problem+json and counts responses; the last line of defence that
/// keeps an unexpected error from leaking as an empty 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let logger: Logger

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let p = APIProblem.from(error)
            if p.status.code >= 500 { logger.error("\(request.method) \(request.uri.path): \(error)") }
            return try p.response(from: request, context: context)
        }
    }
}

extension APIProblem {
    static func unauthorized(_ detail: String) -> APIProblem {
        var p = APIProblem(.unauthorized, detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"presidio\""
        return p
    }
}

extension APIContext {
    /// The caller, who must hold one of `roles` (admin and local hold every role).
    func require(_ roles: Set<Role>, _ what: String) throws -> Principal {
        guard let p = principal else {
            throw APIProblem.unauthorized("\(what) needs a bearer token (roles: \(roles.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        guard roles.contains(p.role) || p.role == .admin || p.role == .local else {
            throw APIProblem(
                .forbidden, "\(what) is not allowed for role \(p.role.rawValue) (roles: \(roles.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        return p
    }
}
