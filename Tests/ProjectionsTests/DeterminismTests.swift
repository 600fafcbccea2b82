@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

/// For every projection: rebuilding from zero and catching up piecemeal (restarting from a
/// snapshot each time) give byte-identical states.
@Suite("Projection determinism over a small city")
struct DeterminismTests {
    static func store(_ dir: String) async throws -> SegmentStore {
        var o = CityGenerator.Options(seed: 4, days: 40)
        o.bridges = 30
        o.wasteSites = 30
        o.buildings = 10
        let store = try SegmentStore(directory: dir)
        var validator = DemoValidator(seed: 4, now: o.end)
        var events: [ProposedEvent] = []
        try await CityGenerator(options: o).run(emit: { events.append(try validator.proposed($0)) }, truth: { _ in })
        for chunk in stride(from: 0, to: events.count, by: 1000) { try await store.append(Array(events[chunk..<min(events.count, chunk + 1000)])) }
        return store
    }

    func check<P: Projection>(_ p: P, store: SegmentStore, dir: String) async throws {
        let rebuilt = try await ProjectionRunner.asOf(projection: p, store: store)
        let head = try await store.headPosition()
        let snapshots = FileSnapshotStore(directory: dir + "/snap-\(p.name)")
        var position: UInt64 = 0
        var step: UInt64 = 997
        while position < head {
            let r = ProjectionRunner(projection: p, store: store, snapshots: snapshots)
            try await r.restore()
            #expect(r.position == position)
            position = min(head, position + step)
            try await r.catchUp(until: position, untilTime: nil, saveSnapshots: true)
            step = step * 2 + 13
        }
        let final = ProjectionRunner(projection: p, store: store, snapshots: snapshots)
        try await final.restore()
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        #expect(try enc.encode(rebuilt) == (try final.encodedState()), "\(p.name) differs")
    }

    /// The meter projection books plain batches in a plain loop (issue 16, meters 8): over a
    /// city with every kind of anomaly, it leaves the same state as checking every reading.
    @Test func plainBatchesLeaveTheSameStateAsCheckedOnes() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try await Self.store(dir.path + "/log")
        defer { store.close() }
        let plain = MeterProjection(rules: try MeterProjectionTests.rules())
        var checked = plain
        checked.plainRuns = false
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let a = try enc.encode(try await ProjectionRunner.asOf(projection: plain, store: store))
        let b = try enc.encode(try await ProjectionRunner.asOf(projection: checked, store: store))
        #expect(a == b)
        // (Forty days of forty meters were judged, and their alerts raised.)
        let state = try JSONDecoder().decode(MeterProjection.State.self, from: a)
        #expect(state.meters.count == 40 && state.meters.values.allSatisfy { $0.days >= 38 }, "\(state.meters.values.map(\.days))")
        #expect(!state.alerts.isEmpty)
    }

    @Test func everyProjectionRebuildsToTheSameBytes() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = try await Self.store(dir.path + "/log")
        defer { store.close() }
        try await check(BridgeProjection(rules: try BridgeProjectionTests.rules()), store: store, dir: dir.path)
        try await check(MeterProjection(rules: try MeterProjectionTests.rules()), store: store, dir: dir.path)
        try await check(
            WasteSiteProjection(rules: try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: Paths.rules)), store: store,
            dir: dir.path)
    }
}
