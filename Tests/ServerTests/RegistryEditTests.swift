import EventLog
import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Server
import Testing

@Suite("Registry edits, live feeds, token retries", .timeLimit(.minutes(1)))
struct RegistryEditTests {
    static let amendment = #"{"bridgeId":"MI0001","observedAt":"2024-01-10","reason":"AADT recount","changes":{"aadt":15200}}"#

    @Test("If-Match with the asset's ETag: a stale version is a 412 and appends nothing; the current one is accepted")
    func ifMatch() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            _ = try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok }
            let asset = try await client.execute(uri: "/v1/assets/bridge-MI0001", method: .get, headers: h.headers(.engineer))
            let etag = try #require(asset.headers[.eTag])
            #expect(etag == "\"0\"")
            let stale = try await client.execute(
                uri: "/v1/submissions/bridge-census-amendment", method: .post, headers: h.headers(.engineer, extra: ["If-Match": "\"7\""]),
                body: buffer(Self.amendment))
            #expect(stale.status == .preconditionFailed, "\(stale.text)")
            #expect(try await h.store.streamVersion("bridge-MI0001") == 0)
            let ok = try await client.execute(
                uri: "/v1/submissions/bridge-census-amendment", method: .post, headers: h.headers(.engineer, extra: ["If-Match": etag]),
                body: buffer(Self.amendment))
            #expect(ok.status == .created, "\(ok.text)")
            let again = try await client.execute(
                uri: "/v1/submissions/bridge-census-amendment", method: .post, headers: h.headers(.engineer, extra: ["If-Match": etag]),
                body: buffer(Self.amendment))
            #expect(again.status == .preconditionFailed)
            let bad = try await client.execute(
                uri: "/v1/submissions/bridge-census-amendment", method: .post, headers: h.headers(.engineer, extra: ["If-Match": "abc"]),
                body: buffer(Self.amendment))
            #expect(bad.status == .badRequest)
        }
    }

    @Test("a following feed receives an event appended after it started (through the fan-out)")
    func liveFeed() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            _ = try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok }
            let head = try await h.store.headPosition()
            async let feed = client.execute(uri: "/v1/feed?from=\(head + 1)&category=bridge&limit=1", method: .get, headers: h.headers(.auditor))
            try await Task.sleep(nanoseconds: 300_000_000)
            // A second connection (the test client's one is busy streaming the feed).
            let other = PresidioClient(baseURL: "http://127.0.0.1:\(client.port!)", token: h.tokens[.inspector])
            let posted = try await other.send("POST", "/v1/submissions/bridge-inspection", body: Data(dangerousInspection.utf8))
            #expect(posted.status == 201)
            let r = try await feed
            let lines = r.text.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.contains(#""type":"BridgeInspected""#) == true, "\(r.text)")
        }
    }

    @Test("creating a token twice with one Idempotency-Key: the retry is a 409 naming the token (tokens are shown once)")
    func tokenRetry() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            let hdr = h.headers(.admin, extra: ["Idempotency-Key": "mk-token-1"])
            let first = try await client.execute(
                uri: "/v1/tokens", method: .post, headers: hdr, body: buffer(#"{"role":"inspector","name":"ing. Neri"}"#))
            #expect(first.status == .created)
            let id = (first.json["record"] as? [String: Any])?["id"] as? String
            let again = try await client.execute(
                uri: "/v1/tokens", method: .post, headers: hdr, body: buffer(#"{"role":"inspector","name":"ing. Neri"}"#))
            #expect(again.status == .conflict)
            #expect(again.text.contains(id ?? "?"))
            let list = try await client.execute(uri: "/v1/tokens", method: .get, headers: h.headers(.admin))
            #expect(((list.json["tokens"] as? [[String: Any]]) ?? []).filter { $0["name"] as? String == "ing. Neri" }.count == 1)
            #expect(!list.text.contains("prs_"), "a token (not its hash) leaked into the list")
        }
    }

    @Test("eight inspectors submitting on one bridge at once: every submission is validated again and appended, none refused")
    func concurrentSubmissionsOnOneAsset() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        let submitter = Submitter(store: h.store, cache: AssetFactsCache(), now: { ISO8601DateFormatter().date(from: "2025-06-01T12:00:00Z")! })
        try await withThrowingTaskGroup(of: Submitter.Result.self) { g in
            for i in 0..<8 {
                g.addTask {
                    try await submitter.submit(
                        kind: "bridge-inspection",
                        json: Data(dangerousInspection.replacingOccurrences(of: "anchorage washed out", with: "inspector \(i)").utf8),
                        actor: "inspector \(i)")
                }
            }
            for try await r in g { #expect(r.appended == 1) }
        }
        let events = try await h.store.readStream("bridge-MI0001", from: 0, limit: 100)
        #expect(events.filter { $0.type == "BridgeInspected" }.count == 8)
        #expect(events.map(\.version) == Array(0..<UInt64(events.count)))
    }
}
