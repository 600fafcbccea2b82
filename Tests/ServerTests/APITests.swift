import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("HTTP API (live server on loopback)", .timeLimit(.minutes(2)))
struct APITests {
    @Test("a dangerous defect submitted by an inspector fires an alert visible through GET /v1/alerts; the actor is the token's principal")
    func submissionRaisesAlert() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            let r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector), body: buffer(dangerousInspection))
            #expect(r.status == .created, "\(r.text)")
            let positions = r.json["positions"] as? [Int] ?? []
            #expect(positions.count == 1)
            #expect((r.json["versions"] as? [Int]) == [1])
            let seen = try await eventually {
                let a = try await client.execute(uri: "/v1/alerts?asset=bridge-MI0001&state=firing", method: .get, headers: h.headers(.engineer))
                let items = a.json["items"] as? [[String: Any]] ?? []
                return items.contains { $0["rule"] as? String == "bridge.dangerousDefect" && $0["severity"] as? String == "critical" }
            }
            #expect(seen)
            let ev = try await client.execute(uri: "/v1/assets/bridge-MI0001/events", method: .get, headers: h.headers(.auditor))
            let events = ev.json["events"] as? [[String: Any]] ?? []
            #expect(events.last?["actor"] as? String == "test inspector")
            #expect(events.last?["observedAt"] as? String == "2024-03-12")
            #expect((events.last?["data"] as? [String: Any])?["bridgeId"] as? String == "MI0001")
            // The asset view explains itself.
            let asset = try await client.execute(uri: "/v1/assets/bridge-MI0001", method: .get, headers: h.headers(.engineer))
            #expect(asset.status == .ok)
            #expect(!((asset.json["why"] as? [String]) ?? []).isEmpty)
        }
    }

    @Test("bad input gets problem+json naming the field, the right status, and nothing is appended")
    func badInputAppendsNothing() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        let head = try await h.store.headPosition()
        try await h.application().test(.live) { client in
            var r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector),
                body: buffer(#"{"bridgeId":"MI0001","observedAt":"2024-02-31"}"#))
            #expect(r.status == .unprocessableContent)
            #expect(r.headers[.contentType] == "application/problem+json")
            let problems = r.json["problems"] as? [[String: Any]] ?? []
            #expect(problems.contains { $0["path"] as? String == "observedAt" && $0["code"] as? String == "format" })
            r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector), body: buffer("{not json"))
            #expect(r.status == .unprocessableContent)
            r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector, contentType: "text/plain"),
                body: buffer(dangerousInspection))
            #expect(r.status == .unsupportedMediaType)
            r = try await client.execute(uri: "/v1/submissions/no-such-kind", method: .post, headers: h.headers(.inspector), body: buffer("{}"))
            #expect(r.status == .notFound)
            r = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector),
                body: buffer(String(repeating: " ", count: 9 << 20)))
            #expect(r.status == .contentTooLarge)
            r = try await client.execute(uri: "/v1/alerts?state=maybe", method: .get, headers: h.headers(.engineer))
            #expect(r.status == .badRequest)
            #expect((r.json["problems"] as? [[String: Any]])?.first?["path"] as? String == "state")
            r = try await client.execute(uri: "/v1/assets/nonsense", method: .get, headers: h.headers(.engineer))
            #expect(r.status == .badRequest)
            r = try await client.execute(uri: "/v1/assets/bridge-XX9999", method: .get, headers: h.headers(.engineer))
            #expect(r.status == .notFound)
            r = try await client.execute(uri: "/v1/alerts", method: .get, headers: [.authorization: "Bearer prs_not-a-token"])
            #expect(r.status == .unauthorized)
            r = try await client.execute(uri: "/v1/submissions/alert-raised", method: .post, headers: h.headers(.admin), body: buffer("{}"))
            #expect(r.status == .forbidden)
        }
        // The workers may publish alert events for the seed; nothing else may appear.
        let after = try await h.store.read(from: head + 1, limit: 1000)
        #expect(after.allSatisfy { $0.category == "alert" && $0.actor.hasPrefix("projection:") }, "\(after.map(\.type))")
    }

    @Test("Idempotency-Key: the same body answers the stored response, another body is a 422; the event is appended once")
    func idempotencyKey() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            let hdr = h.headers(.inspector, extra: ["Idempotency-Key": "tablet-42-attempt"])
            let first = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: hdr, body: buffer(dangerousInspection))
            #expect(first.status == .created)
            let head = try await h.store.headPosition()
            let again = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: hdr, body: buffer(dangerousInspection))
            #expect(again.status == .created)
            #expect(again.text == first.text)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: hdr,
                body: buffer(dangerousInspection.replacingOccurrences(of: "anchorage", with: "bearing")))
            #expect(other.status == .unprocessableContent)
            // Alert events may follow from the workers, but no second inspection.
            let inspections = try await h.store.readStream("bridge-MI0001", from: 0, limit: 100).filter { $0.type == "BridgeInspected" }
            #expect(inspections.count == 1)
            #expect(try await h.store.headPosition() >= head)
        }
    }

    @Test("meter readings as gateways send them: CSV rows out of order with a gap, and NDJSON")
    func meterReadingsCSVAndNDJSON() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            let csv = """
                meterId,observedAt,value
                SC0001-W1,2024-03-12T00:30:00Z,1021.40
                SC0001-W1,2024-03-12T00:00:00Z,1021.30
                SC0001-W1,2024-03-12T00:15:00Z,1021.35
                SC0001-W1,2024-03-12T01:15:00Z,1021.60

                """
            let r = try await client.execute(
                uri: "/v1/submissions/meter-readings", method: .post, headers: h.headers(.ingest, contentType: "text/csv"), body: buffer(csv))
            #expect(r.status == .created, "\(r.text)")
            let events = try await h.store.readStream("meter-SC0001-W1", from: 1, limit: 10)
            #expect(events.count == 1)
            let payload = try JSONSerialization.jsonObject(with: events[0].payload) as? [String: Any]
            #expect(payload?["observedAt"] as? String == "2024-03-12T00:00:00Z")
            #expect((payload?["readings"] as? [Any])?.count == 6)  // 00:00 … 01:15, two missing as null
            let bad = try await client.execute(
                uri: "/v1/submissions/meter-readings", method: .post, headers: h.headers(.ingest, contentType: "text/csv"),
                body: buffer("meterId,observedAt,value\nSC0001-W1,yesterday,1\n"))
            #expect(bad.status == .badRequest)
            #expect((bad.json["problems"] as? [[String: Any]])?.first?["path"] as? String == "line 2.observedAt")
            let nd = """
                {"meterId":"SC0001-W1","observedAt":"2024-03-13T00:00:00Z","intervalMinutes":15,"readings":[1022.0,1022.1]}
                {"meterId":"SC0001-W1","observedAt":"2024-03-13T00:30:00Z","intervalMinutes":15,"readings":[1022.2]}
                """
            let n = try await client.execute(
                uri: "/v1/submissions/meter-readings", method: .post, headers: h.headers(.ingest, contentType: "application/x-ndjson"),
                body: buffer(nd))
            #expect(n.status == .created, "\(n.text)")
            #expect((n.json["positions"] as? [Int])?.count == 2)
            let wrong = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector, contentType: "text/csv"), body: buffer(csv))
            #expect(wrong.status == .unsupportedMediaType)
        }
    }

    @Test("alert actions become events with the engineer as actor; an auditor cannot act")
    func alertActions() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            _ = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector), body: buffer(dangerousInspection))
            var alertId: String?
            _ = try await eventually {
                let a = try await client.execute(
                    uri: "/v1/alerts?asset=bridge-MI0001&rule=bridge.dangerousDefect", method: .get, headers: h.headers(.engineer))
                alertId = (a.json["items"] as? [[String: Any]])?.first?["id"] as? String
                return alertId != nil
            }
            let id = try #require(alertId)
            let denied = try await client.execute(
                uri: "/v1/alerts/\(id)/acknowledge", method: .post, headers: h.headers(.auditor), body: buffer(#"{"note":"seen"}"#))
            #expect(denied.status == .forbidden)
            let missing = try await client.execute(
                uri: "/v1/alerts/\(id)/acknowledge", method: .post, headers: h.headers(.engineer), body: buffer(#"{}"#))
            #expect(missing.status == .unprocessableContent)
            let ok = try await client.execute(
                uri: "/v1/alerts/\(id)/acknowledge", method: .post, headers: h.headers(.engineer),
                body: buffer(#"{"note":"closing lane 2, L4 ordered"}"#))
            #expect(ok.status == .created, "\(ok.text)")
            let acked = try await eventually {
                let a = try await client.execute(uri: "/v1/alerts/\(id)", method: .get, headers: h.headers(.auditor))
                return ((a.json["acknowledgements"] as? [[String: Any]]) ?? []).contains { $0["by"] as? String == "test engineer" }
            }
            #expect(acked)
            // The lifecycle: a firing alert cannot be reopened; a resolved one cannot be resolved again.
            let head = try await h.store.headPosition()
            let reopenFiring = try await client.execute(
                uri: "/v1/alerts/\(id)/reopen", method: .post, headers: h.headers(.engineer), body: buffer(#"{"reason":"x"}"#))
            #expect(reopenFiring.status == .conflict && reopenFiring.text.contains("is firing"), "\(reopenFiring.text)")
            #expect(try await h.store.headPosition() == head)

            // The auditor's view of the same facts: the acknowledgement in the bridge's history
            // (with the engineer as actor), in a replay, and counted in the report.
            let history = try await client.execute(uri: "/v1/audit/history/bridge-MI0001", method: .get, headers: h.headers(.auditor))
            #expect(history.status == .ok)
            let alertEvents = (history.json["alertEntries"] as? [[String: Any]]) ?? []
            #expect(alertEvents.contains { $0["type"] as? String == "AlertAcknowledged" && $0["actor"] as? String == "test engineer" })
            let replay = try await client.execute(uri: "/v1/audit/replay?view=alerts", method: .get, headers: h.headers(.auditor))
            #expect(replay.text.contains(id) && replay.text.contains("closing lane 2"))
            let again = try await client.execute(uri: "/v1/audit/replay?view=alerts", method: .get, headers: h.headers(.auditor))
            #expect(again.text == replay.text, "a replay gives the same bytes")
            let report = try await client.execute(uri: "/v1/audit/report?from=2000-01-01&format=csv", method: .get, headers: h.headers(.auditor))
            #expect(report.text.contains("alerts,acknowledged,,1"), "\(report.text)")
            let bad = try await client.execute(uri: "/v1/audit/replay?asOf=yesterday", method: .get, headers: h.headers(.auditor))
            #expect(bad.status == .badRequest && bad.text.contains("asOf"))

            // Resolved by a person, it cannot be resolved again; it can be reopened.
            let resolved = try await client.execute(
                uri: "/v1/alerts/\(id)/resolve", method: .post, headers: h.headers(.engineer), body: buffer(#"{"reason":"L4 concluded"}"#))
            #expect(resolved.status == .created, "\(resolved.text)")
            #expect(
                try await eventually {
                    let a = try await client.execute(uri: "/v1/alerts/\(id)", method: .get, headers: h.headers(.auditor))
                    return a.json["state"] as? String == "resolved"
                })
            let twice = try await client.execute(
                uri: "/v1/alerts/\(id)/resolve", method: .post, headers: h.headers(.engineer), body: buffer(#"{"reason":"again"}"#))
            #expect(twice.status == .conflict && twice.text.contains("is resolved"), "\(twice.text)")
            let reopened = try await client.execute(
                uri: "/v1/alerts/\(id)/reopen", method: .post, headers: h.headers(.engineer), body: buffer(#"{"reason":"defect seen again"}"#))
            #expect(reopened.status == .created, "\(reopened.text)")

            // Paging the alert list one at a time meets every alert once, in the order of the full list.
            let full = try await client.execute(uri: "/v1/alerts?limit=1000", method: .get, headers: h.headers(.engineer))
            let all = ((full.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(all.count >= 2)
            var paged: [String] = []
            var cursor: String?
            repeat {
                let q = cursor.map { "&cursor=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
                let p = try await client.execute(uri: "/v1/alerts?limit=1" + q, method: .get, headers: h.headers(.engineer))
                paged += ((p.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                cursor = p.json["nextCursor"] as? String
            } while cursor != nil && paged.count <= all.count
            #expect(paged == all)
        }
    }

    @Test("feed: NDJSON from a position, consumer-group members split the streams, committed positions resume")
    func feed() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        let head = try await h.store.headPosition()
        try await h.application().test(.live) { client in
            let all = try await client.execute(uri: "/v1/feed?from=1&follow=false", method: .get, headers: h.headers(.auditor))
            #expect(all.status == .ok)
            let lines = all.text.split(separator: "\n")
            #expect(lines.count >= Int(head))
            var union: Set<String> = []
            for m in 0..<2 {
                let part = try await client.execute(
                    uri: "/v1/feed?from=1&follow=false&group=gis&member=\(m)/2", method: .get, headers: h.headers(.auditor))
                for l in part.text.split(separator: "\n") {
                    let o = try JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
                    union.insert("\(o?["position"] ?? "")")
                }
            }
            #expect(union.count == lines.count)
            let commit = try await client.execute(
                uri: "/v1/feed/groups/gis/members/0-of-2", method: .put, headers: h.headers(.auditor), body: buffer(#"{"position":2}"#))
            #expect(commit.status == .ok)
            let resumed = try await client.execute(uri: "/v1/feed?follow=false&group=gis&member=0/2", method: .get, headers: h.headers(.auditor))
            #expect(resumed.headers[HTTPField.Name("X-Presidio-Feed-From")!] == "3")
            let sse = try await client.execute(
                uri: "/v1/feed?from=1&follow=false&category=bridge", method: .get,
                headers: h.headers(.auditor).merging([.accept: "text/event-stream"]))
            #expect(sse.headers[.contentType] == "text/event-stream")
            #expect(sse.text.hasPrefix("id: 1\nevent: BridgeCensused\ndata: {"))
            let beyond = try await client.execute(
                uri: "/v1/feed/groups/gis/members/0-of-2", method: .put, headers: h.headers(.auditor), body: buffer(#"{"position":999999}"#))
            #expect(beyond.status == .unprocessableContent)
        }
    }

    @Test("GeoJSON layers are RFC 7946 (lon, lat); public views need no token and show public fields only")
    func geojsonAndPublic() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            _ = try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok }
            for layer in ["bridges", "buildings", "wastesites"] {
                let g = try await client.execute(uri: "/v1/export/geojson?layer=\(layer)", method: .get, headers: h.headers(.auditor))
                #expect(g.status == .ok)
                #expect(g.headers[.contentType] == "application/geo+json")
                #expect(g.json["type"] as? String == "FeatureCollection")
                let f = (g.json["features"] as? [[String: Any]])?.first
                let coords = (f?["geometry"] as? [String: Any])?["coordinates"] as? [Double] ?? []
                #expect(coords.count == 2 && coords[0] > 8 && coords[0] < 10 && coords[1] > 45 && coords[1] < 46, "\(layer): \(coords)")
            }
            let p = try await client.execute(uri: "/v1/public/bridges", method: .get)
            #expect(p.status == .ok)
            let item = (p.json["items"] as? [[String: Any]])?.first ?? [:]
            #expect(item["id"] as? String == "bridge-MI0001")
            #expect(item["alerts"] == nil && item["census"] == nil)
            let one = try await client.execute(uri: "/v1/public/wastesites/WS0001", method: .get)
            #expect(one.status == .ok)
            let none = try await client.execute(uri: "/v1/public/bridges/XX", method: .get)
            #expect(none.status == .notFound)
        }
    }

    @Test("health, readiness and Prometheus metrics (append latency, lag, alerts by state, requests by route and status)")
    func opsEndpoints() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        try await h.application().test(.live) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok })
            _ = try await client.execute(
                uri: "/v1/submissions/bridge-inspection", method: .post, headers: h.headers(.inspector), body: buffer(dangerousInspection))
            let m = try await client.execute(uri: "/metrics", method: .get)
            #expect(m.status == .ok)
            for name in ["presidio_append_duration_seconds", "presidio_projection_lag_events", "presidio_alerts", "hb_requests"] {
                #expect(m.text.contains(name), "missing \(name)")
            }
            let doc = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(doc.json["openapi"] as? String == "3.1.0")
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var h = self
        for f in other { h[f.name] = f.value }
        return h
    }
}
