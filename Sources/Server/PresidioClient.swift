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
    /// How long one request may take, connecting included (the HTTP client retries a refused
    /// connection until then): long for the CLI's bulk reads, short for the dashboard.
    public var timeoutSeconds: Int64 = 300

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
        /// Nil when the server was not reached.
        public var status: Int?
        public var body: Data?

        public init(description: String, status: Int? = nil, body: Data? = nil) {
            self.description = description
            self.status = status
            self.body = body
        }
    }

    public func send(
        _ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String = "application/json",
        headers extra: [(String, String)] = []
    )
        async throws -> Reply
    {
        var request = HTTPClientRequest(url: try url(path, query))
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let actor { request.headers.add(name: "X-Presidio-Actor", value: actor) }
        for (k, v) in extra { request.headers.add(name: k, value: v) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: Array(body)))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
            var buffer = try await response.body.collect(upTo: 512 << 20)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            return Reply(status: Int(response.status.code), body: data)
        } catch {
            throw Failure(description: "cannot reach presidio at \(baseURL): \(error)")
        }
    }

    func url(_ path: String, _ query: [(String, String)]) throws -> String {
        var c = URLComponents(string: baseURL + path)
        if !query.isEmpty { c?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = c?.string else { throw Failure(description: "bad URL \(baseURL)\(path)") }
        return url
    }

    /// Every item of a cursor-paged list (`{"items": […], "nextCursor": …}`), 1,000 a page.
    public func allPages<Item: Decodable>(_ path: String, query: [(String, String)] = [], of _: Item.Type) async throws -> [Item] {
        var out: [Item] = []
        var cursor: String?
        repeat {
            let page = try JSONDecoder().decode(
                CursorPage<Item>.self, from: try await get(path, query: query + [("limit", "1000")] + (cursor.map { [("cursor", $0)] } ?? [])))
            out += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return out
    }

    /// GET that must succeed; a problem+json answer becomes a one-line failure.
    public func get(_ path: String, query: [(String, String)] = []) async throws -> Data {
        let r = try await send("GET", path, query: query)
        guard r.ok else { throw Self.failure(r) }
        return r.body
    }

    /// GET of a streamed answer (the NDJSON feed): `line` is called with every complete line
    /// as it arrives; returns when the server ends the stream.
    public func streamLines(_ path: String, query: [(String, String)] = [], line: @Sendable (String) async -> Void) async throws {
        var request = HTTPClientRequest(url: try url(path, query))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw Failure(description: "cannot reach presidio at \(baseURL): \(error)")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            var buffer = try await response.body.collect(upTo: 1 << 20)
            throw Self.failure(Reply(status: Int(response.status.code), body: Data(buffer.readBytes(length: buffer.readableBytes) ?? [])))
        }
        var pending = [UInt8]()
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            while let newline = pending.firstIndex(of: 0x0A) {
                await line(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
    }

    public static func failure(_ r: Reply) -> Failure {
        let obj = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let detail = obj?["detail"] as? String ?? String(decoding: r.body.prefix(300), as: UTF8.self)
        return Failure(description: "server answered \(r.status): \(detail)", status: r.status, body: r.body)
    }
}

/// One page of a cursor-paged list.
struct CursorPage<Item: Decodable>: Decodable {
    var items: [Item]
    var nextCursor: String?
}
