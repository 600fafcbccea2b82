@testable import Domain
import EventLog
import Foundation
import Testing

@Suite("Submissions: validation and append")
struct SubmissionTests {
    /// The examples, in an order that makes a consistent history.
    static let scenario: [(String, String)] = [
        ("bridge-census", "BridgeCensused.v1"), ("bridge-census-amendment", "BridgeCensusAmended.v1"),
        ("bridge-inspection", "BridgeInspected.v1"), ("bridge-special-inspection", "SpecialInspectionConcluded.v1"),
        ("bridge-assessment", "AssessmentConcluded.v1"), ("bridge-document", "DocumentAttached.v1"),
        ("bridge-traffic-measure", "TrafficMeasureChanged.v1"), ("bridge-intervention", "InterventionCompleted.v1"),
        ("building", "BuildingRegistered.v1"), ("meter-installation", "MeterInstalled.v1"),
        ("meter-readings", "MeterReadingsRecorded.v1"), ("meter-replacement", "MeterReplaced.v1"), ("tariff", "TariffSet.v1"),
        ("wastesite", "WasteSiteRegistered.v1"), ("wastesite-inspection", "WasteSiteInspected.v1"),
        ("wastesite-sanction", "WasteSiteSanctioned.v1"), ("wastesite-follow-up", "WasteSiteFollowUpRecorded.v1"),
        ("wastesite-fire", "WasteSiteFireReported.v1"),
    ]

    func withStore(_ body: (any EventStore, Submitter) async throws -> Void) async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        try await body(store, Submitter(store: store, now: { Fixtures.now }))
    }

    /// Applies a JSON edit to an example and returns the bytes.
    static func edited(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var o = try JSONSerialization.jsonObject(with: try Fixtures.example(name)) as! [String: Any]
        edit(&o)
        return try JSONSerialization.data(withJSONObject: o)
    }

    static func problems(_ body: () async throws -> Void) async -> [Problem] {
        do {
            try await body()
            return []
        } catch let f as ValidationFailure {
            return f.problems
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    @Test func everyExampleIsAcceptedInAConsistentHistory() async throws {
        try await withStore { store, submitter in
            for (kind, name) in Self.scenario {
                let r = try await submitter.submit(kind: kind, json: try Fixtures.example(name), actor: "tester")
                #expect(r.appended == 1, "\(kind)")
            }
            #expect(try await store.headPosition() == UInt64(Self.scenario.count))
            let bridge = try await store.readStream("bridge-MI0001", from: 0, limit: 100)
            #expect(
                bridge.map(\.type) == [
                    "BridgeCensused", "BridgeCensusAmended", "BridgeInspected", "SpecialInspectionConcluded", "AssessmentConcluded",
                    "DocumentAttached", "TrafficMeasureChanged", "InterventionCompleted",
                ])
            #expect(bridge.allSatisfy { $0.actor == "tester" })
            #expect(try await store.verify().intact)
        }
    }

    @Test func everyProblemIsReportedAtOnceWithItsPath() async throws {
        try await withStore { store, submitter in
            _ = try await submitter.submit(kind: "bridge-census", json: try Fixtures.example("BridgeCensused.v1"), actor: "t")
            let json = try Self.edited("BridgeInspected.v1") { o in
                var defects = o["defects"] as! [[String: Any]]
                defects[0]["k1"] = 0.3
                defects[0]["g"] = 6
                defects[1]["span"] = 9
                defects[1]["element"] = "tower"
                defects[2]["g"] = 3
                o["defects"] = defects
                o["observedAt"] = "2031-01-01"
                o["spansInspected"] = 4
                o["colour"] = "red"
                o.removeValue(forKey: "inspector")
            }
            let problems = await Self.problems { _ = try await submitter.submit(kind: "bridge-inspection", json: json, actor: "t") }
            let byPath = Dictionary(grouping: problems, by: \.path)
            // Shape problems come first and all together.
            #expect(byPath["defects[0].k1"]?.first?.message == "must be one of 0.2, 0.5, 1 (got 0.3)")
            #expect(byPath["defects[0].g"]?.first?.code == .range)
            #expect(byPath["defects[1].element"]?.first?.code == .enumeration)
            #expect(byPath["colour"]?.first?.code == .unknownField)
            #expect(byPath["inspector"]?.first?.code == .required)
            #expect(problems.count == 5)
            #expect(try await store.headPosition() == 1)

            // Fix the shape: now the context problems, again all together.
            let json2 = try Self.edited("BridgeInspected.v1") { o in
                var defects = o["defects"] as! [[String: Any]]
                defects[1]["span"] = 9
                defects[2]["g"] = 3
                o["defects"] = defects
                o["observedAt"] = "2031-01-01"
                o["spansInspected"] = 4
            }
            let p2 = await Self.problems { _ = try await submitter.submit(kind: "bridge-inspection", json: json2, actor: "t") }
            #expect(Set(p2.map(\.path)) == ["observedAt", "spansInspected", "defects[1].span", "defects[2].g"])
            #expect(p2.first { $0.path == "observedAt" }?.code == .future)
            #expect(p2.first { $0.path == "defects[2].g" }?.message == "must be absent when status is notDetectable")
            #expect(try await store.headPosition() == 1)
        }
    }

    /// Issue 15, registry: the municipality is one of the 133 (ISTAT), spelled as ISTAT does,
    /// and the point lies near its centre; a made-up one is refused, naming the field.
    @Test func theMunicipalityIsOneOfTheCitysAndThePointLiesInIt() async throws {
        try await withStore { store, submitter in
            func census(_ edit: @escaping (inout [String: Any]) -> Void) async -> [Problem] {
                await Self.problems {
                    _ = try await submitter.submit(kind: "bridge-census", json: try Self.edited("BridgeCensused.v1", edit), actor: "t")
                }
            }
            var p = await census { $0["municipality"] = "Milan" }
            #expect(p.map(\.path) == ["municipality"] && p.first?.message.contains("did you mean 'Milano'") == true)
            p = await census { $0["municipality"] = "Springfield" }
            #expect(p.map(\.code) == [.enumeration])
            p = await census { $0["municipality"] = "melegnano" }
            #expect(p.first?.message == "must be spelled 'Melegnano' as ISTAT does (got 'melegnano')")
            // Legnano is 40 km from this point (Melegnano's): inside the area, not in Legnano.
            p = await census { $0["municipality"] = "Legnano" }
            #expect(p.map(\.path) == ["location"] && p.first?.message.hasPrefix("must lie in Legnano (ISTAT 015118)") == true)
            // A waste site and a building are held to the same rule.
            p = await Self.problems {
                _ = try await submitter.submit(
                    kind: "wastesite", json: try Self.edited("WasteSiteRegistered.v1") { $0["municipality"] = "Rho" }, actor: "t")
            }
            #expect(p.map(\.path) == ["location"])
            p = await Self.problems {
                _ = try await submitter.submit(
                    kind: "building", json: try Self.edited("BuildingRegistered.v1") { $0["municipality"] = "Monza" }, actor: "t")
            }
            #expect(p.map(\.path) == ["municipality"])
            let head = try await store.headPosition()
            #expect(head == 0)
            #expect(MetropolitanMunicipalities.all.count == 133 && Set(MetropolitanMunicipalities.all.map(\.istat)).count == 133)
            let inside = MetropolitanMunicipalities.all.filter {
                $0.istat.hasPrefix("015") && MetropolitanArea.contains(GeoPoint(lat: $0.lat, lon: $0.lon))
            }
            #expect(inside.count == 133)
        }
    }

    @Test func referencesDatesAndAreaAreChecked() async throws {
        try await withStore { store, submitter in
            var p = await Self.problems {
                _ = try await submitter.submit(kind: "bridge-inspection", json: try Fixtures.example("BridgeInspected.v1"), actor: "t")
            }
            #expect(p.map(\.code) == [.notFound])
            p = await Self.problems {
                _ = try await submitter.submit(
                    kind: "bridge-census", json: try Self.edited("BridgeCensused.v1") { $0["location"] = ["lat": 41.9, "lon": 12.5] }, actor: "t")
            }
            #expect(p.map(\.path) == ["location"])
            #expect(p.first?.code == .outsideArea)
            _ = try await submitter.submit(kind: "bridge-census", json: try Fixtures.example("BridgeCensused.v1"), actor: "t")
            p = await Self.problems {
                _ = try await submitter.submit(kind: "bridge-census", json: try Fixtures.example("BridgeCensused.v1"), actor: "t")
            }
            #expect(p.first?.code == .alreadyExists)
            p = await Self.problems {
                _ = try await submitter.submit(
                    kind: "bridge-inspection", json: try Self.edited("BridgeInspected.v1") { $0["observedAt"] = "2023-01-10" }, actor: "t")
            }
            #expect(p.first?.code == .beforeAsset)
            #expect(try await store.headPosition() == 1)
        }
    }

    /// Issue 16, meters 2: a register that goes backwards is data, marked or not; what follows
    /// it is accepted too (before, an unmarked drop refused that day and every later one).
    @Test func readingsThatGoDownAreAcceptedMarkedOrNot() async throws {
        try await withStore { store, submitter in
            for (kind, name) in [("building", "BuildingRegistered.v1"), ("meter-installation", "MeterInstalled.v1")] {
                _ = try await submitter.submit(kind: kind, json: try Fixtures.example(name), actor: "t")
            }
            let down = try Self.edited("MeterReadingsRecorded.v1") { $0["readings"] = [1021.3, 1021.4, 3.2, 3.3] }
            _ = try await submitter.submit(kind: "meter-readings", json: down, actor: "t")
            // The same window again overlaps what is stored.
            var p = await Self.problems { _ = try await submitter.submit(kind: "meter-readings", json: down, actor: "t") }
            #expect(p.map(\.code) == [.inconsistent])
            // A later window that starts below the last stored reading (3.3), and one marked.
            let later = try Self.edited("MeterReadingsRecorded.v1") {
                $0["observedAt"] = "2024-03-12T01:00:00Z"
                $0["readings"] = [3.4, 1.0]
            }
            _ = try await submitter.submit(kind: "meter-readings", json: later, actor: "t")
            let marked = try Self.edited("MeterReadingsRecorded.v1") {
                $0["observedAt"] = "2024-03-12T02:00:00Z"
                $0["readings"] = [1.1, 0.2]
                $0["resets"] = [["index": 1, "kind": "meterSwap"]]
            }
            _ = try await submitter.submit(kind: "meter-readings", json: marked, actor: "t")
            // What still cannot be: a value the register cannot show.
            let big = try Self.edited("MeterReadingsRecorded.v1") {
                $0["observedAt"] = "2024-03-12T03:00:00Z"
                $0["readings"] = [1e12]
            }
            p = await Self.problems { _ = try await submitter.submit(kind: "meter-readings", json: big, actor: "t") }
            #expect(p.map(\.code) == [.range])
            let head = try await store.headPosition()
            #expect(head == 5)
        }
    }

    @Test func batchIsAtomicAndMayBuildOnItself() async throws {
        try await withStore { store, submitter in
            let census = try JSONSerialization.jsonObject(with: try Fixtures.example("BridgeCensused.v1"))
            var second = census as! [String: Any]
            second["bridgeId"] = "MI0002"
            second["spanLengths"] = [10]
            let batch = try JSONSerialization.data(withJSONObject: [census, second])
            let p = await Self.problems { _ = try await submitter.submit(kind: "bridge-census", json: batch, actor: "t") }
            #expect(p.map(\.path) == ["[1].spanLengths"])
            #expect(try await store.headPosition() == 0)
            second["spanLengths"] = [24.5, 28.0, 24.5]
            let ok = try JSONSerialization.data(withJSONObject: [census, second])
            let r = try await submitter.submit(kind: "bridge-census", json: ok, actor: "t")
            #expect(r.positions == [1, 2])
            // An inspection batch for a bridge and a census in one go is two kinds: not allowed,
            // but two inspections of the same bridge in one batch are.
            let inspection = try JSONSerialization.jsonObject(with: try Fixtures.example("BridgeInspected.v1"))
            let two = try JSONSerialization.data(withJSONObject: [inspection, inspection])
            let r2 = try await submitter.submit(kind: "bridge-inspection", json: two, actor: "t")
            #expect(r2.positions == [3, 4])
        }
    }

    @Test func retriedSubmissionAppendsNothingTwice() async throws {
        try await withStore { store, submitter in
            let id = UUID()
            let json = try Fixtures.example("BridgeCensused.v1")
            let a = try await submitter.submit(kind: "bridge-census", json: json, actor: "t", submissionId: id)
            // The tablet did not get the answer and sends it again.
            let b = try await submitter.submit(kind: "bridge-census", json: json, actor: "t", submissionId: id)
            #expect(a.positions == b.positions)
            #expect(b.appended == 0)
            let inspection = try Fixtures.example("BridgeInspected.v1")
            let id2 = UUID()
            let c = try await submitter.submit(kind: "bridge-inspection", json: inspection, actor: "t", submissionId: id2)
            let d = try await submitter.submit(kind: "bridge-inspection", json: inspection, actor: "t", submissionId: id2)
            #expect(c.positions == d.positions && d.appended == 0)
            #expect(try await store.headPosition() == 2)
            let e = try await store.read(from: 2, limit: 1)[0]
            #expect(e.correlationId == id2)
            #expect(String(decoding: e.metadata, as: UTF8.self).contains(id2.uuidString.lowercased()))
        }
    }

    @Test func malformedJSONAndUnknownKind() async throws {
        try await withStore { _, submitter in
            var p = await Self.problems { _ = try await submitter.submit(kind: "bridge-census", json: Data("{".utf8), actor: "t") }
            #expect(p.first?.code == .format)
            p = await Self.problems { _ = try await submitter.submit(kind: "spaceship", json: Data("{}".utf8), actor: "t") }
            #expect(p.first?.path == "kind")
            p = await Self.problems { _ = try await submitter.submit(kind: "tariff", json: Data("[]".utf8), actor: "t") }
            #expect(p.first?.code == .count)
        }
    }
}
