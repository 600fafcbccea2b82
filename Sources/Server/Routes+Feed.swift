import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/feed`: the log for other city modules, from a position, then live. NDJSON (the
/// lines of `presidio log read`) or, with `Accept: text/event-stream`, Server-Sent Events whose
/// ids are positions (`Last-Event-ID` resumes). Consumer groups split the streams among members
/// (`group=NAME&member=i/n`, by a stable hash of the stream) and keep each member's committed
/// position on the server.
extension PresidioRoutes {
    struct Member: Hashable {
        var index: Int
        var count: Int
        var key: String { "\(index)/\(count)" }

        /// `i/n` (query) or `i-of-n` (path).
        init(_ s: String) throws {
            let parts = s.contains("/") ? s.split(separator: "/").map(String.init) : s.components(separatedBy: "-of-")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 256, i >= 0, i < n else {
                throw APIProblem.badRequest("member", "must be i/n with 0 ≤ i < n ≤ 256, e.g. 0/4 (got '\(s.prefix(30))')")
            }
            index = i
            count = n
        }

        /// FNV-1a of the stream name: stable across processes and versions.
        func owns(_ stream: String) -> Bool {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in stream.utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            return Int(h % UInt64(count)) == index
        }
    }

    func groupName(_ s: String?) throws -> String? {
        guard let s else { return nil }
        guard !s.isEmpty, s.count <= 100, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw APIProblem.badRequest("group", "must be 1–100 letters, digits, '-', '_' or '.'")
        }
        return s
    }

    struct CommittedPosition: Codable {
        var group: String
        var member: String
        var position: UInt64
    }

    func feedPosition(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "reading a consumer position")
        let group = try groupName(c.parameters.get("group"))!
        let member = try Member(c.parameters.get("member") ?? "")
        let stored = try await env.state.get("feed", "\(group)|\(member.key)").flatMap { try? JSONDecoder().decode(CommittedPosition.self, from: $0) }
        return try Self.json(stored ?? CommittedPosition(group: group, member: member.key, position: 0))
    }

    func commitFeedPosition(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "committing a consumer position")
        let group = try groupName(c.parameters.get("group"))!
        let member = try Member(c.parameters.get("member") ?? "")
        let body = try await collect(r, c)
        guard let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let n = obj["position"] as? NSNumber,
            let p = UInt64(exactly: n.doubleValue), obj.count == 1
        else { throw APIProblem.badRequest("position", "send {\"position\": P}: the last position the member has processed", code: .required) }
        let head = try await env.store.headPosition()
        guard p <= head else {
            throw APIProblem(
                .unprocessableContent, "position \(p) is beyond the log's head \(head)",
                problems: [Problem("position", .range, "must be at most the head \(head)")])
        }
        let rec = CommittedPosition(group: group, member: member.key, position: p)
        try await env.state.put("feed", "\(group)|\(member.key)", try JSONEncoder().encode(rec))
        return try Self.json(rec)
    }

    func feed(_ r: Request, _ c: APIContext) async throws -> Response {
        _ = try c.require(Self.readRoles, "reading the feed")
        let sse = r.headers[.accept]?.contains("text/event-stream") ?? false
        let category = query(r, "category")
        if let category, category.isEmpty || category.count > 60 || category.contains("-") {
            throw APIProblem.badRequest("category", "must be a stream category such as bridge, meter, wastesite or alert")
        }
        let group = try groupName(query(r, "group"))
        let member = try query(r, "member").map(Member.init)
        if (group == nil) != (member == nil) {
            throw APIProblem.badRequest(group == nil ? "group" : "member", "group and member go together (member=i/n)")
        }
        let follow: Bool
        switch query(r, "follow") {
        case nil, "true", "1": follow = true
        case "false", "0": follow = false
        case let v?: throw APIProblem.badRequest("follow", "must be true or false (got '\(v.prefix(20))')")
        }
        let max = try query(r, "limit").map { _ in try limit(r, default: 1000, max: 10_000_000) }
        var from = try uint(r, "from")
        if from == nil, sse, let last = r.headers[HTTPField.Name("Last-Event-ID")!], let p = UInt64(last) { from = p + 1 }
        if from == nil, let group, let member {
            let stored = try await env.state.get("feed", "\(group)|\(member.key)").flatMap {
                try? JSONDecoder().decode(CommittedPosition.self, from: $0)
            }
            from = (stored?.position ?? 0) + 1
        }
        let start = Swift.max(from ?? 1, 1)
        let store = env.store
        let shutdown = env.shutdown
        let headers: HTTPFields = [
            .contentType: sse ? "text/event-stream" : "application/x-ndjson", .cacheControl: "no-store",
            HTTPField.Name("X-Presidio-Feed-From")!: String(start),
        ]
        let hub = env.hub
        let body = ResponseBody { writer in
            var next = start
            var sent = 0
            var out = ByteBuffer()
            var lastWrite = Date()
            outer: while !shutdown.isSet {
                var page: [RecordedEvent]
                var through: UInt64
                if let w = hub?.events(from: next, category: category, limit: 1024) {
                    (page, through) = w
                } else {
                    page =
                        category == nil
                        ? try await store.read(from: next, limit: 1024) : try await store.readCategory(category!, from: next, limit: 1024)
                    through = page.last?.position ?? (next - 1)
                    if page.isEmpty, category != nil { through = Swift.max(through, try await store.headPosition()) }
                }
                for e in page {
                    if let member, !member.owns(e.stream) { continue }
                    let line = EventJSON.line(for: e)
                    if sse {
                        out.writeString("id: \(e.position)\nevent: \(e.type)\ndata: \(line)\n\n")
                    } else {
                        out.writeString(line)
                        out.writeString("\n")
                    }
                    sent += 1
                    if let max, sent >= max { break outer }
                }
                let advanced = through >= next
                next = through + 1
                if out.readableBytes > 0 {
                    try await writer.write(out)
                    out.clear()
                    lastWrite = Date()
                }
                if advanced { continue }
                // At the head.
                if !follow { break }
                if sse, Date().timeIntervalSince(lastWrite) >= 15 {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = Date()
                }
                // Wake on an append (through the hub when it runs), or each second to notice a shutdown.
                if let hub, hub.isRunning {
                    _ = await hub.wait(after: next - 1, timeout: 1)
                } else {
                    _ = try await store.waitForAppend(after: next - 1, seconds: 1)
                }
            }
            if out.readableBytes > 0 { try await writer.write(out) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
