import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of a running `presidio serve`: what the CLI uses when a server holds the store
/// (or `--url` is given), and what the dashboard is built on.
public struct PresidioClient: Sendable {
    public let baseURL: String
    public let token: String?
    /// Sent as `X-Presidio-Actor` (honoured for the server's local token only).
    public let actor: String?

    public init(baseURL: String, token: String?, actor: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.actor = actor
    }

    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
        public var ok: Bool { (200..<300).contains(status) }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public var status: Int?
        public var body: Data?
    }

    public func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String = "application/json",
        headers extra: [(String, String)] = []
    )
        async throws -> Reply
    {
        var c = URLComponents(string: baseURL + path)
        if !query.isEmpty { c?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = c?.string else { throw Failure(description: "bad URL \(baseURL)\(path)") }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let actor { request.headers.add(name: "X-Presidio-Actor", value: actor) }
        for (k, v) in extra { request.headers.add(name: k, value: v) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: Array(body)))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
            var buffer = try await response.body.collect(upTo: 512 << 20)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            return Reply(status: Int(response.status.code), body: data)
        } catch {
            throw Failure(description: "cannot reach presidio at \(baseURL): \(error)")
        }
    }

    /// GET that must succeed; a problem+json answer becomes a one-line failure.
    public func get(_ path: String, query: [(String, String)] = []) async throws -> Data {
        let r = try await send("GET", path, query: query)
        guard r.ok else { throw Self.failure(r) }
        return r.body
    }

    public static func failure(_ r: Reply) -> Failure {
        let obj = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let detail = obj?["detail"] as? String ?? String(decoding: r.body.prefix(300), as: UTF8.self)
        return Failure(description: "server answered \(r.status): \(detail)", status: r.status, body: r.body)
    }
}
