import Crypto
import EventLog
import Foundation
import Synchronization

/// Who may do what. `local` is the token a running server hands to commands on the same
/// machine (in its 0600 `server.json`): whoever can read the data folder can read the log anyway.
public enum Role: String, Codable, Sendable, CaseIterable {
    case inspector, ingest, engineer, auditor, admin, local
    /// Roles an operator can create tokens for.
    public static let creatable: [Role] = [.inspector, .ingest, .engineer, .auditor, .admin]
}

/// The authenticated caller. Every event appended through the API records `name` as its actor.
public struct Principal: Sendable, Hashable, Codable {
    public var name: String
    public var role: Role
    public var tokenId: String
}

/// What is stored of a token: never the token itself, only its SHA-256.
public struct TokenRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    public var createdAt: String
    public var revokedAt: String?
}

public struct TokenError: Error, CustomStringConvertible, Sendable { public var description: String }

/// Creates, lists, revokes and checks bearer tokens over a `ServerStateStore` (kind `tokens`,
/// keyed by the token's SHA-256). Look-ups are cached for a second, so a revocation takes
/// effect on every node within about a second.
public final class TokenRegistry: Sendable {
    let state: any ServerStateStore
    private let cache = Mutex<[String: (principal: Principal?, at: UInt64)]>([:])
    public static let kind = "tokens"

    /// The token a running server gives to commands on its own machine (memory only).
    private let localToken = Mutex<String?>(nil)

    public init(state: any ServerStateStore) { self.state = state }

    /// Makes the process's local token (role `local`), written only to the 0600 `server.json`.
    public func makeLocalToken() -> String {
        let t = "prl_" + Data(Self.randomBytes(24)).hex
        localToken.withLock { $0 = t }
        return t
    }

    /// Secret bytes from the system's CSPRNG (Swift's default generator).
    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func hash(_ token: String) -> String { Data(SHA256.hash(data: Data(token.utf8))).hex }

    /// Makes a token and stores its hash. The token is returned once and never again.
    public func create(role: Role, name: String) async throws -> (token: String, record: TokenRecord) {
        guard !name.isEmpty, name.count <= 120, !name.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw TokenError(description: "name: must be 1–120 characters on one line")
        }
        let token =
            "prs_"
            + Data(Self.randomBytes(24)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let h = Self.hash(token)
        let record = TokenRecord(id: String(h.prefix(12)), name: name, role: role, createdAt: ISO8601DateFormatter().string(from: Date()))
        try await state.put(Self.kind, h, try JSONEncoder().encode(record))
        return (token, record)
    }

    public func list() async throws -> [TokenRecord] {
        try await state.list(Self.kind).compactMap { try? JSONDecoder().decode(TokenRecord.self, from: $0.value) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Revokes by id (or by name when exactly one active token has it). Returns the records revoked.
    public func revoke(_ idOrName: String) async throws -> [TokenRecord] {
        var revoked: [TokenRecord] = []
        let all = try await state.list(Self.kind)
        let matches = all.compactMap { kv -> (String, TokenRecord)? in
            guard let r = try? JSONDecoder().decode(TokenRecord.self, from: kv.value), r.revokedAt == nil else { return nil }
            return (r.id == idOrName || r.name == idOrName) ? (kv.key, r) : nil
        }
        let byId = matches.filter { $0.1.id == idOrName }
        let chosen = byId.isEmpty ? matches : byId
        if chosen.count > 1 {
            throw TokenError(description: "'\(idOrName)' names \(chosen.count) tokens: revoke by id (\(chosen.map(\.1.id).joined(separator: ", ")))")
        }
        for (key, var r) in chosen {
            r.revokedAt = ISO8601DateFormatter().string(from: Date())
            try await state.put(Self.kind, key, try JSONEncoder().encode(r))
            revoked.append(r)
        }
        cache.withLock { $0.removeAll() }
        return revoked
    }

    /// The principal of a bearer token, or nil for an unknown or revoked one.
    public func authenticate(_ token: String) async throws -> Principal? {
        if let local = localToken.withLock({ $0 }), local == token { return Principal(name: "local", role: .local, tokenId: "local") }
        let h = Self.hash(token)
        let now = DispatchTime.now().uptimeNanoseconds
        if let c = cache.withLock({ $0[h] }), now - c.at < 1_000_000_000 { return c.principal }
        var principal: Principal?
        if let d = try await state.get(Self.kind, h), let r = try? JSONDecoder().decode(TokenRecord.self, from: d), r.revokedAt == nil {
            principal = Principal(name: r.name, role: r.role, tokenId: r.id)
        }
        cache.withLock { c in
            if c.count > 10_000 { c.removeAll() }
            c[h] = (principal, now)
        }
        return principal
    }
}
