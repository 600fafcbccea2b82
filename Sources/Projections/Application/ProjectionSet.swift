import Domain
import EventLog
import Foundation

/// Every projection the platform runs, built from one rules folder and one snapshot store.
/// Adding a projection touches this file only: the CLI, the server and the follow service all
/// get their runners from here.
public final class ProjectionSet: @unchecked Sendable {
    // @unchecked: the runners are driven by one task at a time (a CLI command or the follow
    // service); readers get immutable `ReadModel` values, never the runners.
    public static let names = ["bridges", "meters", "wastesites"]

    public let bridges: ProjectionRunner<BridgeProjection>
    public let meters: ProjectionRunner<MeterProjection>
    public let wasteSites: ProjectionRunner<WasteSiteProjection>
    public let store: any EventStore

    public var workers: [any ProjectionWorker] { [bridges, meters, wasteSites] }

    /// The rule files the projections were built from, with their hashes.
    public let ruleFiles: [RuleFile]

    /// Loads (and validates) the latest rule set of each projection from `rulesDirectory`, or
    /// the versions named in `versions` (`["bridges": 2]`: what-if replays).
    public init(store: any EventStore, rulesDirectory: String, snapshots: any SnapshotStore, versions: [String: Int] = [:]) throws {
        self.store = store
        for name in versions.keys where !Self.names.contains(name) {
            throw RuleSetError(file: "\(rulesDirectory)/\(name)", problems: ["no such rule set; one of \(Self.names.joined(separator: ", "))"])
        }
        let files = try Self.names.map { try RuleFile(name: $0, version: versions[$0], directory: rulesDirectory) }
        ruleFiles = files
        bridges = ProjectionRunner(
            projection: BridgeProjection(
                rules: try RuleSetLoader.load(BridgeRules.self, name: "bridges", version: files[0].version, directory: rulesDirectory)),
            store: store, snapshots: snapshots, ruleFile: files[0])
        meters = ProjectionRunner(
            projection: MeterProjection(
                rules: try RuleSetLoader.load(MeterRules.self, name: "meters", version: files[1].version, directory: rulesDirectory)),
            store: store, snapshots: snapshots, ruleFile: files[1])
        wasteSites = ProjectionRunner(
            projection: WasteSiteProjection(
                rules: try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", version: files[2].version, directory: rulesDirectory)),
            store: store, snapshots: snapshots, ruleFile: files[2])
    }

    public func worker(named name: String) -> (any ProjectionWorker)? { workers.first { $0.name == name } }

    /// The lowest position any projection has applied: where a shared page read starts.
    public var position: UInt64 { workers.map(\.position).min() ?? 0 }

    /// Restores every projection from its snapshot; returns the names that resumed.
    @discardableResult
    public func restore() async throws -> [String: Bool] {
        var out: [String: Bool] = [:]
        for w in workers { out[w.name] = try await w.restore() }
        return out
    }

    /// Reads the log once from the lowest position and hands each page to every projection,
    /// until the head. Calls `progress` after each page with the position reached.
    public func catchUp(pageSize: Int = 4096, progress: (UInt64) -> Void = { _ in }) async throws {
        while true {
            let page = try await store.read(from: position + 1, limit: pageSize)
            if page.isEmpty { return }
            for w in workers { w.apply(page: page) }
            progress(position)
        }
    }

    /// Saves every projection's snapshot (workers only: reading never writes).
    public func saveSnapshots() async throws {
        for w in workers { try await w.saveSnapshot() }
    }

    /// The current states as one immutable value for readers.
    public func readModel() -> ReadModel {
        ReadModel(
            position: position, bridges: bridges.state, meters: meters.state, wasteSites: wasteSites.state,
            bridgeProjection: bridges.projection, meterProjection: meters.projection, wasteSiteProjection: wasteSites.projection)
    }
}
