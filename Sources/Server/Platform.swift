import EventLog
import EventLogPostgres
import Foundation
import Projections

/// Where Presidio's log lives and everything that follows from it (snapshots, the server's
/// shared state): one place, used alike by `presidio serve` and the one-shot commands.
public struct StoreLocation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case embedded(directory: String), postgres(url: String, schema: String) }
    public var kind: Kind
    /// Settings of a PostgreSQL store (the CLI fills them from its environment).
    public var postgresOptions = PostgresStore.Options()

    public struct Invalid: Error, CustomStringConvertible, Sendable { public var description: String }

    /// A `postgres://` or `postgresql://` URL is PostgreSQL; another `scheme://` is refused; anything
    /// else is an embedded data folder.
    public init(_ location: String, schema: String = "presidio") throws(Invalid) {
        if Self.isPostgres(location) {
            kind = .postgres(url: location, schema: schema)
        } else if let r = location.range(of: "://") {
            throw Invalid(description: "--store: unknown scheme '\(location[..<r.lowerBound])' (expected postgres://user@host:port/db)")
        } else {
            kind = .embedded(directory: location)
        }
    }

    public static func isPostgres(_ s: String) -> Bool { s.hasPrefix("postgres://") || s.hasPrefix("postgresql://") }

    public var dataDirectory: String? {
        if case .embedded(let d) = kind { return d }
        return nil
    }

    /// A human name for messages (a URL's password hidden).
    public var description: String {
        switch kind {
        case .embedded(let d): d
        case .postgres(let url, _): Self.redacted(url)
        }
    }

    public static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }

    /// Opens the log. A read-only open never creates the folder and never takes the writer's lock.
    /// `onRecovery` hears what a writable open had to repair.
    public func open(readOnly: Bool = false, onRecovery: (String) -> Void = { _ in }) throws -> any EventStore {
        switch kind {
        case .postgres(let url, let schema):
            return try PostgresStore(url: url, schema: schema, options: postgresOptions)
        case .embedded(let directory):
            if readOnly && !Self.holdsLog(directory) {
                throw EventStoreError(.io, "no Presidio log in \(directory) (check --data or $PRESIDIO_DATA)")
            }
            let store: SegmentStore
            do {
                store = try SegmentStore(directory: directory, options: .init(readOnly: readOnly))
            } catch let e as EventStoreError where e.code == .locked {
                if let s = ServerRecord.read(directory: directory) {
                    throw EventStoreError(
                        .locked,
                        "data folder \(directory) is held by presidio serve (pid \(s.pid)) at \(s.url): use --url \(s.url) with a token (or run the command while it serves: submit, alerts, queue and asset go through it)"
                    )
                }
                throw e
            }
            let r = store.recovery
            if let repair = r.repair {
                onRecovery(
                    "recovered: moved \(repair.bytes) bytes after position \(repair.lastKeptPosition) of \(repair.segment) to \(directory)/\(repair.quarantine) (\(repair.reason)); recorded in the log as LogRepaired"
                )
            } else if let tail = r.tail {
                onRecovery("warning: \(tail.description) (a read-only open leaves it as found)")
            }
            return store
        }
    }

    /// Whether `directory` looks like an embedded log (so reads never create one by mistake).
    public static func holdsLog(_ directory: String) -> Bool {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.contains { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
    }

    /// Snapshots beside the embedded log, or in the PostgreSQL store's `snapshots` table.
    public func snapshots(for store: any EventStore) -> any SnapshotStore {
        if let pg = store as? PostgresStore { return PostgresSnapshotStore(store: pg) }
        return FileSnapshotStore(directory: (dataDirectory ?? ".") + "/projections")
    }

    /// The server's shared state: files beside the embedded log, or the PostgreSQL `server_state` table.
    public func serverState(for store: any EventStore) -> any ServerStateStore {
        if let pg = store as? PostgresStore { return PostgresServerState(store: pg) }
        return FileServerState(directory: (dataDirectory ?? ".") + "/server")
    }
}

/// Snapshots in PostgreSQL, beside a PostgreSQL log.
public struct PostgresSnapshotStore: SnapshotStore {
    let store: PostgresStore

    public init(store: PostgresStore) { self.store = store }

    public func load(_ name: String) async throws -> Snapshot? {
        guard let s = try await store.loadSnapshot(name: name) else { return nil }
        let snap = Snapshot(name: s.name, codeVersion: s.codeVersion, ruleSet: s.ruleSet, position: s.position, state: s.state)
        return snap.sha256 == s.sha256 ? snap : nil
    }

    public func save(_ s: Snapshot) async throws {
        try await store.saveSnapshot(
            .init(name: s.name, position: s.position, codeVersion: s.codeVersion, ruleSet: s.ruleSet, state: s.state, sha256: s.sha256))
    }

    public func delete(_ name: String) async throws { try await store.deleteSnapshot(name: name) }
}

/// `<data>/server.json`: which `presidio serve` holds an embedded data folder and where it
/// listens, so other commands can reach it instead of failing on the lock.
public struct ServerRecord: Codable, Sendable {
    public var pid: Int32
    public var url: String
    public var startedAt: String
    /// For commands on this machine (the file is readable by its owner only).
    public var localToken: String?

    public init(pid: Int32, url: String, startedAt: String, localToken: String?) {
        self.pid = pid
        self.url = url
        self.startedAt = startedAt
        self.localToken = localToken
    }

    public static func path(_ directory: String) -> String { directory + "/server.json" }

    /// The record, if the process it names is still alive.
    public static func read(directory: String) -> ServerRecord? {
        guard let d = FileManager.default.contents(atPath: path(directory)), let r = try? JSONDecoder().decode(ServerRecord.self, from: d) else {
            return nil
        }
        return kill(r.pid, 0) == 0 ? r : nil
    }

    public func write(directory: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let tmp = Self.path(directory) + ".tmp"
        FileManager.default.createFile(atPath: tmp, contents: try enc.encode(self), attributes: [.posixPermissions: 0o600])
        guard rename(tmp, Self.path(directory)) == 0 else { throw EventStoreError(.io, "cannot write \(Self.path(directory))") }
    }

    public static func remove(directory: String) { try? FileManager.default.removeItem(atPath: path(directory)) }
}
