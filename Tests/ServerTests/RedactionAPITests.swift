import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("HTTP API: redaction", .timeLimit(.minutes(2)))
struct RedactionAPITests {
    @Test("an admin redacts an inspector's name and photos; every reader sees the tombstone, verify stays intact and lists who, when and why")
    func adminRedacts() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            let r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector),
                body: buffer(try ServerHarness.example("BridgeInspected")))
            #expect(r.status == .created, "\(r.text)")
            let position = try #require((r.json["positions"] as? [Int])?.first)
            let body = #"{"position":\#(position),"fields":["inspector","defects[*].photos"],"reason":"GDPR art. 17, request 2026-114"}"#
            let refused = try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: h.headers(.auditor), body: buffer(body))
            #expect(refused.status == .forbidden)
            let done = try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: h.headers(.admin), body: buffer(body))
            #expect(done.status == .ok, "\(done.text)")
            #expect(done.json["redactedBy"] as? String == "test admin" && done.json["position"] as? Int == position)

            let ev = try await client.execute(uri: "/v1/assets/bridge-MI0001/events", method: .get, headers: h.headers(.auditor))
            let data = try #require(((ev.json["events"] as? [[String: Any]])?.last?["data"]) as? [String: Any])
            #expect(data["inspector"] as? String == "[redacted]")
            #expect(!ev.text.contains("Giulia") && !ev.text.contains(".jpg"))
            let verify = try await client.execute(uri: "/v1/audit/verify", method: .get, headers: h.headers(.auditor))
            let report = try #require(verify.json["report"] as? [String: Any])
            #expect(report["intact"] as? Bool == true && report["redacted"] as? [Int] == [position])
            #expect((verify.json["redactions"] as? [[String: Any]])?.first?["reason"] as? String == "GDPR art. 17, request 2026-114")

            // Facts are never redacted, and what cannot be done is said with the field.
            for (json, field, status) in [
                (#"{"position":\#(position),"fields":["defects[*].g"],"reason":"x"}"#, "fields", HTTPResponse.Status.unprocessableContent),
                (#"{"position":\#(position),"fields":["observedAt"],"reason":"x"}"#, "fields", .unprocessableContent),
                (#"{"position":\#(position),"fields":["inspector"],"reason":" "}"#, "reason", .unprocessableContent),
                (#"{"position":999999,"fields":["inspector"],"reason":"x"}"#, "", .notFound),
                (#"{"position":"1","fields":"inspector"}"#, "position", .unprocessableContent),
            ] {
                let bad = try await client.execute(uri: "/v1/audit/redactions", method: .post, headers: h.headers(.admin), body: buffer(json))
                #expect(bad.status == status, "\(json) → \(bad.text)")
                if !field.isEmpty { #expect(bad.text.contains(#""path":"\#(field)""#), "\(bad.text)") }
            }
            #expect(try await h.store.verify().intact)
        }
    }
}
