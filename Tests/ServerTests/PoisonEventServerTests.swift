import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Testing

@Suite("A poisoned log does not stop the service", .timeLimit(.minutes(2)))
struct PoisonEventServerTests {
    @Test("an event no projection can apply is parked and alerted; the events after it, a long fire report included, still reach the read model")
    func poisonedLogKeepsServing() async throws {
        let h = try await ServerHarness()
        defer { h.close() }
        // What `log import` lets through: a landslide form with class 0 (it used to trap).
        var form = try JSONSerialization.jsonObject(with: try ServerHarness.example("LandslideFormRecorded")) as! [String: Any]
        form["maxVelocityClass"] = 0
        _ = try await h.store.append(
            ProposedEvent(
                stream: "bridge-MI0001", type: "LandslideFormRecorded", payload: try JSONSerialization.data(withJSONObject: form), actor: "log-import"
            ))
        try await h.application().test(.live) { client in
            _ = try await eventually { (try await client.execute(uri: "/readyz", method: .get)).status == .ok }
            var fire = try JSONSerialization.jsonObject(with: try ServerHarness.example("WasteSiteFireReported")) as! [String: Any]
            fire["description"] = String(repeating: "fumo denso ", count: 360)
            fire["severity"] = "importante"
            let r = try await client.execute(
                uri: "/v1/submissions/wastesite-fire", method: .post, headers: h.headers(.inspector),
                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: fire)))
            #expect(r.status == .created, "\(r.text)")
            let seen = try await eventually {
                let a = try await client.execute(uri: "/v1/alerts?state=firing", method: .get, headers: h.headers(.engineer))
                let items = a.json["items"] as? [[String: Any]] ?? []
                let parked = items.contains { $0["rule"] as? String == "projection.parkedEvent" && $0["asset"] as? String == "bridge-MI0001" }
                let long = items.first { $0["rule"] as? String == "wastesite.fire" }
                return parked && ((long?["evidence"] as? String)?.hasSuffix(" […]") ?? false)
            }
            #expect(seen)
            // The alerts were published back into the log as valid events.
            let published = try await eventually {
                try await h.store.read(from: 1, limit: 1000).contains {
                    $0.type == "AlertRaised" && String(decoding: $0.payload, as: UTF8.self).contains("wastesite.fire")
                }
            }
            #expect(published)
            let events = try await h.store.read(from: 1, limit: 1000).filter { $0.category == "alert" }
            for e in events { _ = try Catalog.decodeChecked(e) }
            let asset = try await client.execute(uri: "/v1/assets/bridge-MI0001/events", method: .get, headers: h.headers(.auditor))
            #expect(asset.status == .ok)
        }
    }
}
