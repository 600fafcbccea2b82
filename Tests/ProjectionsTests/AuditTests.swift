@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// Auditors' replays: deterministic bytes with the rule files' hashes, the two clocks, an
/// instant before the first record said for what it is, rule files edited in place refused,
/// an asset's history, the diff and the report.
@Suite("Audit: replay, clocks, history, diff, report")
struct AuditTests {
    /// A small city (30 bridges, 30 sites, 10 buildings over 40 days), all recorded now.
    static func city() async throws -> InMemoryEventStore {
        var o = CityGenerator.Options(seed: 4, days: 40)
        o.bridges = 30
        o.wasteSites = 30
        o.buildings = 10
        let store = InMemoryEventStore()
        var validator = DemoValidator(seed: 4, now: o.end)
        var events: [ProposedEvent] = []
        try await CityGenerator(options: o).run(emit: { events.append(try validator.proposed($0)) }, truth: { _ in })
        for chunk in stride(from: 0, to: events.count, by: 1000) { try await store.append(Array(events[chunk..<min(events.count, chunk + 1000)])) }
        return store
    }

    static func micros(_ s: String) -> Int64 { ReplayLimit.parseTime(s)! }

    @Test func aReplayGivesTheSameBytesTwiceAndNamesItsRuleFiles() async throws {
        let store = try await Self.city()
        let head = try await store.headPosition()
        let limit = ReplayLimit(position: head / 2)
        var outputs: [Data] = []
        for _ in 0..<2 {
            let r = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: limit)
            #expect(r.position == head / 2)
            for view in AuditReplay.View.allCases { outputs.append(AuditReplay.result(r, view: view, limit: limit).json) }
        }
        #expect(outputs[0..<6].elementsEqual(outputs[6..<12]))
        let first = try JSONSerialization.jsonObject(with: outputs[0]) as! [String: Any]
        let files = first["ruleFiles"] as! [[String: String]]
        #expect(files.map { $0["ruleSet"]! } == ["bridges/v3", "meters/v4", "wastesites/v2"])
        #expect(files.allSatisfy { $0["sha256"]!.count == 64 })
        await #expect(throws: RuleSetError.self) {
            _ = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: .head, versions: ["bridges": 99])
        }
        #expect(throws: Never.self) { try ReplayLimit.parseVersions(["bridges/v1", "meters/v1"]).get() }
        #expect((try? ReplayLimit.parseVersions(["bridge/v1"]).get()) == nil)
    }

    /// Every event of the city was recorded today: on the recorded clock an earlier instant
    /// holds nothing, and says so; on the observed clock it holds what had been observed.
    @Test func theTwoClocks() async throws {
        let store = try await Self.city()
        let before = ReplayLimit(time: Self.micros("2020-06-01"), clock: .recorded)
        let r = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: before)
        #expect(r.model.bridges.bridges.isEmpty && r.position == 0)
        #expect(r.note?.contains("nothing was recorded by 2020-06-01") == true)
        await #expect {
            _ = try await AssetView.asOf(
                "bridge-MI0001", store: store, rulesDirectory: Paths.rules, position: nil, time: before.time, timeText: "2020-06-01T00:00:00Z")
        } throws: { e in
            "\(e)".contains("nothing was recorded by 2020-06-01T00:00:00Z") && "\(e)".contains("first record is from")
        }

        // Each bridge exists from its census's observation date; inspections come later.
        let now = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: .head)
        let inspected = now.model.bridges.bridges.values.compactMap(\.lastInspection).sorted()
        let firstInspection = try #require(inspected.first)
        let censuses = now.model.bridges.bridges.values.map(\.census.observedAt).sorted()
        let firstCensus = try #require(censuses.first)
        let early = ReplayLimit(time: Self.micros(firstCensus), clock: .observed)
        let o = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: early)
        #expect(o.model.bridges.bridges.count == censuses.filter { $0 == firstCensus }.count)
        #expect(o.model.bridges.bridges.values.allSatisfy { ($0.lastInspection ?? "") <= firstCensus })
        // At the day of the first inspection, exactly the bridges inspected by then.
        let atFirst = ReplayLimit(time: Self.micros(firstInspection) + 1, clock: .observed)
        let f = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: atFirst)
        let seen = f.model.bridges.bridges.values.compactMap(\.lastInspection)
        #expect(!seen.isEmpty && seen.allSatisfy { $0 <= firstInspection })
        let nobody = ReplayLimit(time: Self.micros(firstCensus) - 86_400_000_000, clock: .observed)
        #expect(try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: nobody).model.bridges.bridges.isEmpty)
        await #expect {
            _ = try await AssetView.asOf(
                "bridge-MI0001", store: store, rulesDirectory: Paths.rules, position: nil, time: nobody.time, timeText: "the day before",
                clock: .observed)
        } throws: { e in "\(e)".contains("observed by the day before") }
        #expect((try? ReplayLimit.parse(asOf: "12", clock: "observed").get()) == nil, "a position has no observed time")
        #expect((try? ReplayLimit.parse(asOf: "2024-02-30", clock: "recorded").get()) == nil)
    }

    /// A rule file edited in place (same version, other content) is refused by name when a
    /// snapshot made under the old content is restored; a new version rebuilds.
    @Test func aRuleFileEditedWithoutANewVersionIsRefused() async throws {
        let store = try await Self.city()
        let dir = TempDir()
        defer { dir.remove() }
        let rules = dir.path + "/projections"
        try FileManager.default.copyItem(atPath: Paths.rules, toPath: rules)
        let snapshots = FileSnapshotStore(directory: dir.path + "/snap")
        var set = try ProjectionSet(store: store, rulesDirectory: rules, snapshots: snapshots)
        try await set.catchUp()
        try await set.saveSnapshots()
        set = try ProjectionSet(store: store, rulesDirectory: rules, snapshots: snapshots)
        #expect(try await set.restore().values.allSatisfy { $0 })
        let path = rules + "/bridges/v3.json"
        try (try String(contentsOfFile: path, encoding: .utf8) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        set = try ProjectionSet(store: store, rulesDirectory: rules, snapshots: snapshots)
        await #expect {
            _ = try await set.restore()
        } throws: { e in
            guard let e = e as? RuleSetError else { return false }
            return e.file.hasSuffix("bridges/v3.json") && e.description.contains("without a new version") && e.description.contains("v4.json")
        }
    }

    @Test func historyDiffAndReport() async throws {
        let store = try await Self.city()
        let history = try await AssetHistory.load(AssetID("bridge-MI0001")!, store: store)
        #expect(!history.entries.isEmpty)
        #expect(history.entries.allSatisfy { $0.stream == "bridge-MI0001" && $0.hash.count == 64 })
        #expect(history.entries.first?.type == "BridgeCensused" && history.entries.first?.observedAt != nil)
        #expect(zip(history.entries, history.entries.dropFirst()).allSatisfy { $0.position < $1.position })

        let head = try await store.headPosition()
        let a = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: ReplayLimit(position: head / 3))
        let b = try await AuditReplay.replay(store: store, rulesDirectory: Paths.rules, limit: .head)
        let d = AuditDiff.between(a, b, clock: .recorded)
        #expect(d.fromPosition == head / 3 && d.toPosition == head)
        #expect(d.alerts.contains { $0.change == "raised" })
        let none = AuditDiff.between(b, b, clock: .recorded)
        #expect(none.alerts.isEmpty && none.classes.isEmpty && none.queues.isEmpty)

        let files = try RuleFileRef.current(directory: Paths.rules)
        let all = try await AuditReport.make(store: store, from: 0, to: Int64.max, ruleFiles: files)
        #expect(all.eventsInPeriod == Int(head))
        #expect(all.submissions.reduce(0) { $0 + $1.count } == Int(head))
        #expect(all.verification?.intact == true)
        #expect(all.rendered(.md).contains("## Submissions per actor and kind"))
        #expect(all.rendered(.csv).hasPrefix("section,key,detail,value\n"))
        let empty = try await AuditReport.make(store: store, from: 0, to: 1, ruleFiles: files)
        #expect(empty.eventsInPeriod == 0 && empty.submissions.isEmpty)
        #expect(AuditReport.csvField("=HYPERLINK(1)") == "'=HYPERLINK(1)" || AuditReport.csvField("=HYPERLINK(1)") == "\"'=HYPERLINK(1)\"")
    }
}
