@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// The poison-event policy: no single event, however it reached the log, stops a projection,
/// blocks the others, or traps the process.
@Suite("Poison events")
struct PoisonEventTests {
    static func raw(_ stream: String, _ type: String, _ json: String) -> ProposedEvent {
        ProposedEvent(stream: stream, type: type, payload: Data(json.utf8), actor: "log-import")
    }

    static func example(_ name: String, _ change: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        var o = try JSONSerialization.jsonObject(with: Paths.example(name)) as! [String: Any]
        change(&o)
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func poisonEventsAreParkedAndEveryProjectionGoesOn() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        var events = [Self.raw("bridge-MI0001", "BridgeCensused", try Self.example("BridgeCensused.v1"))]
        // Out-of-range classes that used to trap on a table index (SIGILL).
        for bad in ["0", "-1", "4294967296", "9223372036854775807"] {
            let form = try Self.example("LandslideFormRecorded.v1").replacingOccurrences(
                of: #""maxVelocityClass":5"#, with: #""maxVelocityClass":\#(bad)"#)
            events.append(Self.raw("bridge-MI0001", "LandslideFormRecorded", form))
        }
        events += [
            // An impossible date, a type this build does not know, a payload about another bridge.
            Self.raw("bridge-MI0001", "BridgeInspected", try Self.example("BridgeInspected.v1") { $0["observedAt"] = "2024-02-31" }),
            Self.raw("bridge-MI0001", "BridgeRepainted", #"{"bridgeId":"MI0001"}"#),
            Self.raw("bridge-MI0003", "BridgeCensused", try Self.example("BridgeCensused.v1") { $0["bridgeId"] = "MI0002" }),
            // An alert event another tool wrote with an id outside the pattern.
            Self.raw("alert-x", "AlertAcknowledged", #"{"alertId":"x y","observedAt":"2024-01-01","note":"n"}"#),
            // Valid events after the poison: they must be applied.
            Self.raw("bridge-MI0002", "BridgeCensused", try Self.example("BridgeCensused.v1") { $0["bridgeId"] = "MI0002" }),
            Self.raw("wastesite-WS0001", "WasteSiteRegistered", try Self.example("WasteSiteRegistered.v1")),
            // A valid fire report whose description makes the alert text longer than its limit.
            Self.raw(
                "wastesite-WS0001", "WasteSiteFireReported",
                try Self.example("WasteSiteFireReported.v1") {
                    $0["severity"] = "importante"; $0["description"] = String(repeating: "è", count: 3990)
                }),
        ]
        _ = try await store.append(events)
        let head = try await store.headPosition()

        let set = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await set.catchUp()
        for w in set.workers { #expect(w.position == head, "\(w.name) stopped at \(w.position)") }

        let parked = set.bridges.state.parked
        #expect(parked.total == 8)
        #expect(parked.events.map(\.position) == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(parked.events[0].reason.contains("maxVelocityClass"))
        #expect(parked.events[4].reason.contains("observedAt"))
        #expect(parked.events[5].reason.contains("unknown event type 'BridgeRepainted'"))
        #expect(parked.events[6].reason.contains("bridge-MI0002"))
        #expect(set.bridges.state.bridges["MI0002"] != nil)
        #expect(set.bridges.state.bridges["MI0001"]?.landslideForm == nil)
        #expect(set.wasteSites.state.parked.total == 1)
        #expect(set.meters.state.parked.total == 1)
        let operatorAlert = try #require(set.bridges.state.alerts["presidio.parked.bridges.2"])
        #expect(operatorAlert.state == .firing)
        #expect(operatorAlert.asset == "bridge-MI0001")
        #expect(operatorAlert.evidence.contains("LandslideFormRecorded"))

        let fire = try #require(set.wasteSites.state.alerts.values.first { $0.rule.contains("fire") })
        #expect(fire.evidence.unicodeScalars.count == 2000)
        #expect(fire.evidence.hasSuffix(AlertText.marker))

        // Everything is published, and what is published reads back as valid events.
        for w in set.workers { try await w.publishAlerts() }
        let published = try await store.read(from: head + 1, limit: 1000)
        #expect(published.count == set.workers.map(\.alertRecords.count).reduce(0, +))
        for e in published { _ = try Catalog.decodeChecked(e) }
        for w in set.workers { #expect(w.alertRecords.filter { !$0.raisePublished }.isEmpty) }
        let status = try await set.bridges.workerStatus()
        #expect(status.parkedEvents == 8 && status.parked.count == 8 && status.unpublishable.isEmpty)

        // A rebuild gives the same state, byte for byte.
        let again = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await again.catchUp()
        #expect(try again.bridges.encodedState() == set.bridges.encodedState())
        #expect(try again.wasteSites.encodedState() == set.wasteSites.encodedState())
    }

    /// Property, over seeded random histories: the catalogue's examples in random order, each
    /// kept, mutated (a field set to an edge value, removed, or retyped) or retyped as a foreign
    /// event, appended raw as `log import` would. Every projection reaches the head, a rebuild
    /// gives the same bytes, and every alert event published reads back as valid.
    @Test(arguments: 1...12)
    func anyHistoryIsAppliedOrParkedNeverStopped(seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed, label: "poison")
        let names = [
            "BridgeCensused", "BridgeCensusAmended", "BridgeInspected", "SpecialInspectionConcluded", "AssessmentConcluded", "InterventionCompleted",
            "TrafficMeasureChanged", "HydraulicFormRecorded", "LandslideFormRecorded", "BuildingRegistered", "MeterInstalled",
            "MeterReadingsRecorded",
            "MeterReplaced", "TariffSet", "WasteSiteRegistered", "WasteSiteInspected", "WasteSiteFollowUpRecorded", "WasteSiteSanctioned",
            "WasteSiteFireReported", "AlertAcknowledged", "AlertResolved", "AlertReopened",
        ]
        let edges: [Any] = [
            0, -1, 6, 4_294_967_296, Int64.max, 1e300, -0.5, "", "2024-02-31", "2024-03-12T25:00:00Z", "MI0001\u{2028}",
            String(repeating: "n", count: 4500), NSNull(), [Any](), ["x": 1], true,
        ]
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        var events: [ProposedEvent] = []
        for _ in 0..<60 {
            let name = pick(names)
            var o = try JSONSerialization.jsonObject(with: Paths.example("\(name).v1")) as! [String: Any]
            var type = name
            switch rng.next() % 4 {
            case 0: break
            case 1: o[pick(Array(o.keys))] = pick(edges)
            case 2: o.removeValue(forKey: pick(Array(o.keys)))
            default: if rng.next() % 2 == 0 { type = "Foreign" + name } else { o["extra"] = pick(edges) }
            }
            let asset = [
                "bridgeId": "bridge", "meterId": "meter", "siteId": "wastesite", "buildingId": "building", "alertId": "alert", "kind": "tariff",
            ]
            let key = asset.keys.sorted().first { o[$0] is String } ?? "bridgeId"
            let stream = "\(asset[key]!)-\((o[key] as? String).map { $0.isEmpty ? "x" : $0 } ?? "MI0001")"
            guard let payload = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]),
                RecordCodec.problem(with: Self.raw(stream, type, String(decoding: payload, as: UTF8.self))) == nil
            else { continue }
            events.append(Self.raw(stream, type, String(decoding: payload, as: UTF8.self)))
        }
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        _ = try await store.append(events)
        let set = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await set.catchUp()
        for w in set.workers { try await w.publishAlerts() }
        #expect(set.workers.map(\.parked.total).reduce(0, +) > 0, "seed \(seed): the history must hold poison")
        // Each publisher read its own events back; the others now read them too.
        try await set.catchUp()
        let head = try await store.headPosition()
        for w in set.workers {
            #expect(w.position == head, "seed \(seed): \(w.name) stopped at \(w.position) of \(head)")
            #expect(try await w.workerStatus().unpublishable.isEmpty)
        }
        for e in try await store.read(from: UInt64(events.count) + 1, limit: 10_000) {
            #expect(throws: Never.self, "seed \(seed): published \(e.type) at \(e.position)") { _ = try Catalog.decodeChecked(e) }
        }
        let again = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await again.catchUp()
        for (a, b) in zip(set.workers, again.workers) {
            #expect(try await a.workerStatus().snapshotSHA256 == b.workerStatus().snapshotSHA256, "seed \(seed): \(a.name)")
        }
    }

    @Test func aParkedCensusIsNoFactForLaterSubmissionsAndEventsOfUnknownAssetsAreParked() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        // A census that decodes but breaks its own field rules (a year the catalogue refuses).
        _ = try await store.append(Self.raw("bridge-MI0001", "BridgeCensused", try Self.example("BridgeCensused.v1") { $0["yearBuilt"] = 99999 }))
        let submitter = Submitter(store: store, now: { ISO8601DateFormatter().date(from: "2025-06-01T12:00:00Z")! })
        await #expect {
            _ = try await submitter.submit(kind: "bridge-inspection", json: try Paths.example("BridgeInspected.v1"), actor: "t")
        } throws: { e in
            ((e as? ValidationFailure)?.problems ?? []).contains { $0.code == .notFound && $0.path == "bridgeId" }
        }
        // What another writer appended anyway is parked with the reason, never dropped silently.
        _ = try await store.append(
            Self.raw("bridge-MI0001", "BridgeInspected", String(decoding: try Paths.example("BridgeInspected.v1"), as: UTF8.self)))
        let set = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await set.catchUp()
        let reasons = set.bridges.state.parked.events.map(\.reason)
        #expect(reasons.count == 2)
        #expect(reasons.last?.contains("no bridge MI0001 in this projection") == true)
        // The fix: file the census again (the stream exists, its registration does not).
        _ = try await submitter.submit(kind: "bridge-census", json: try Paths.example("BridgeCensused.v1"), actor: "t")
        _ = try await submitter.submit(kind: "bridge-inspection", json: try Paths.example("BridgeInspected.v1"), actor: "t")
        await #expect(throws: ValidationFailure.self) {
            _ = try await submitter.submit(kind: "bridge-census", json: try Paths.example("BridgeCensused.v1"), actor: "t")
        }
        try await set.catchUp()
        #expect(set.bridges.state.bridges["MI0001"]?.lastInspection == "2024-03-12")
    }

    @Test func aFloodOfForeignEventsKeepsTheStateBounded() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        _ = try await store.append((0..<1500).map { Self.raw("bridge-F\($0)", "Foreign", "{}") })
        let set = try ProjectionSet(store: store, rulesDirectory: Paths.rules, snapshots: NoSnapshots())
        try await set.catchUp()
        let p = set.bridges.state.parked
        #expect(p.total == 1500 && p.events.count == ParkedEvents.keep)
        let parkedAlerts = set.bridges.state.alerts.values.filter { $0.rule == "projection.parkedEvent" }
        #expect(parkedAlerts.count == ParkedEvents.alertLimit + 1)
        #expect(set.bridges.state.alerts["presidio.parked.bridges.more"]?.severity == .critical)
    }

    @Test func alertTextsAlwaysFitTheirEvents() throws {
        #expect(AlertText.fit("abc", max: 5) == "abc")
        let cut = AlertText.fit(String(repeating: "🌉", count: 30), max: 10)
        #expect(cut.unicodeScalars.count == 10 && cut.hasSuffix(AlertText.marker))
        #expect(AlertText.id("bridge-MI0001.dangerousDefect.12") == "bridge-MI0001.dangerousDefect.12")
        let odd = AlertText.id("bridge-Ponte è\u{2028}." + String(repeating: "x", count: 300))
        var problems: [Problem] = []
        FieldType.object(AlertRaised.fields.filter { $0.name == "alertId" }).validate(["alertId": odd], at: "", into: &problems)
        #expect(problems.isEmpty, "\(problems)")
        #expect(odd != AlertText.id("bridge-Ponte e\u{2028}." + String(repeating: "x", count: 300)))
    }

    @Test func outOfRangeClassesThrowInsteadOfTrapping() throws {
        let rules = try RuleSetLoader.load(BridgeRules.self, name: "bridges", directory: Paths.rules)
        var form = try JSONDecoder().decode(LandslideFormRecorded.self, from: Paths.example("LandslideFormRecorded.v1"))
        var trace: [String] = []
        for bad in [0, -1, 6, Int(UInt32.max) + 1, Int.max, Int.min] {
            form.maxVelocityClass = bad
            #expect(throws: CannotApply.self) { try rules.landslideClass(form, exposure: 3, trace: &trace) }
        }
        var hydraulic = try JSONDecoder().decode(HydraulicFormRecorded.self, from: Paths.example("HydraulicFormRecorded.v1"))
        hydraulic.overtoppingHazard = 0
        #expect(throws: CannotApply.self) { try rules.hydraulicClass(hydraulic, exposure: 3, trace: &trace) }
        #expect(throws: CannotApply.self) { try rules.landslideClass(form, exposure: 9, trace: &trace) }
    }
}
