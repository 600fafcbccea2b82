import Domain
import EventLog
import Foundation

/// What Presidio showed at a past moment (or would have shown under another rule-set version),
/// replayed from the log alone, without touching any snapshot. The same request gives the same
/// bytes (`ReplayResult.json`): sorted keys, no wall-clock time, the rule files' hashes inside.
public enum AuditReplay {
    public enum View: String, Sendable, Codable, CaseIterable {
        case alerts
        case queueSafety = "queue-safety"
        case queueInspection = "queue-inspection"
        case bridges, meters, sites
    }

    /// The log replayed up to `limit`, the read model, and what the replay saw.
    public struct Replayed: Sendable {
        public var model: ReadModel
        public var ruleFiles: [RuleFileRef]
        /// Last position read (applied, or left out by the observed clock).
        public var position: UInt64
        /// The day queues are computed for: the instant asked, else the recorded time of the last position.
        public var today: Date
        /// Said when the answer is empty for a reason the auditor should hear.
        public var note: String?
    }

    public static func replay(
        store: any EventStore, rulesDirectory: String, limit: ReplayLimit, versions: [String: Int] = [:]
    ) async throws -> Replayed {
        let set = try ProjectionSet(store: store, rulesDirectory: rulesDirectory, snapshots: NoSnapshots(), versions: versions)
        for w in set.workers { try await w.catchUp(limit: limit, saveSnapshots: false) }
        let position = set.position
        var today = Date(timeIntervalSince1970: 0)
        if let t = limit.time {
            today = Date(timeIntervalSince1970: Double(t) / 1_000_000)
        } else if position > 0, let e = try await store.read(from: position, limit: 1).first {
            today = Date(timeIntervalSince1970: Double(e.recordedAt) / 1_000_000)
        }
        var note: String?
        if let t = limit.time, let first = try await store.read(from: 1, limit: 1).first {
            if limit.clock == .recorded && first.recordedAt > t {
                note =
                    "nothing was recorded by \(AuditTime.text(micros: t)): the log's first record was recorded at \(AuditTime.text(micros: first.recordedAt)) (recorded clock; the observed clock answers what had been observed by then, whenever recorded)"
            }
        } else if limit.time != nil {
            note = "the log is empty"
        }
        return Replayed(
            model: set.readModel(), ruleFiles: set.ruleFiles.map(RuleFileRef.init), position: position, today: today, note: note)
    }

    /// One view of a replay as deterministic JSON.
    public static func result(_ r: Replayed, view: View, limit: ReplayLimit) -> ReplayResult {
        let m = r.model
        let items: ReplayResult.Items =
            switch view {
            case .alerts: .alerts(m.allAlerts.sorted { $0.id < $1.id })
            case .queueSafety: .safety(m.safetyQueue(today: r.today))
            case .queueInspection: .inspection(m.inspectionQueue(today: r.today))
            case .bridges: .bridges(m.bridges)
            case .meters: .meters(m.meters)
            case .sites: .sites(m.wasteSites)
            }
        return ReplayResult(
            view: view.rawValue, clock: limit.clock.rawValue, asOfPosition: limit.position, asOfTime: limit.time.map(AuditTime.text),
            replayedThrough: r.position, today: AuditTime.text(micros: AuditTime.micros(r.today)), ruleFiles: r.ruleFiles, note: r.note,
            items: items)
    }
}

/// A rule file as outputs name it: label and SHA-256 (no path: outputs compare across machines).
public struct RuleFileRef: Codable, Sendable, Hashable {
    public var ruleSet: String
    public var sha256: String
    public init(_ f: RuleFile) {
        ruleSet = f.label
        sha256 = f.sha256
    }

    /// The latest rule file of every projection in `directory`.
    public static func current(directory: String) throws -> [RuleFileRef] {
        try ProjectionSet.names.map { RuleFileRef(try RuleFile(name: $0, directory: directory)) }
    }
}

public struct ReplayResult: Encodable, Sendable {
    public var view: String
    public var clock: String
    public var asOfPosition: UInt64?
    public var asOfTime: String?
    public var replayedThrough: UInt64
    public var today: String
    public var ruleFiles: [RuleFileRef]
    public var note: String?
    public var items: Items

    public enum Items: Encodable, Sendable {
        case alerts([AlertRecord])
        case safety([SafetyQueueEntry])
        case inspection([InspectionQueueEntry])
        case bridges(BridgeProjection.State)
        case meters(MeterProjection.State)
        case sites(WasteSiteProjection.State)

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .alerts(let v): try v.encode(to: encoder)
            case .safety(let v): try v.encode(to: encoder)
            case .inspection(let v): try v.encode(to: encoder)
            case .bridges(let v): try v.encode(to: encoder)
            case .meters(let v): try v.encode(to: encoder)
            case .sites(let v): try v.encode(to: encoder)
            }
        }

        public var count: Int {
            switch self {
            case .alerts(let v): v.count
            case .safety(let v): v.count
            case .inspection(let v): v.count
            case .bridges(let v): v.bridges.count
            case .meters(let v): v.meters.count
            case .sites(let v): v.sites.count
            }
        }
    }

    /// Canonical bytes: sorted keys, no extra whitespace, slashes unescaped.
    public var json: Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(self)) ?? Data()
    }
}
