import EventLog
import EventLogPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What the API nodes keep besides the log: token hashes, idempotency records, feed consumer
/// positions. Key-value by kind; values are small JSON documents. Never facts: those are events.
public protocol ServerStateStore: Sendable {
    func get(_ kind: String, _ key: String) async throws -> Data?
    /// Returns false when `onlyIfAbsent` and the key exists (nothing written).
    @discardableResult func put(_ kind: String, _ key: String, _ value: Data, onlyIfAbsent: Bool) async throws -> Bool
    func delete(_ kind: String, _ key: String) async throws
    func list(_ kind: String) async throws -> [(key: String, value: Data)]
}

extension ServerStateStore {
    @discardableResult public func put(_ kind: String, _ key: String, _ value: Data) async throws -> Bool {
        try await put(kind, key, value, onlyIfAbsent: false)
    }
}

/// The in-memory twin, for tests.
public final class InMemoryServerState: ServerStateStore {
    private let table = Mutex<[String: [String: Data]]>([:])
    public init() {}
    public func get(_ kind: String, _ key: String) -> Data? { table.withLock { $0[kind]?[key] } }
    public func put(_ kind: String, _ key: String, _ value: Data, onlyIfAbsent: Bool) -> Bool {
        table.withLock { t in
            if onlyIfAbsent, t[kind]?[key] != nil { return false }
            t[kind, default: [:]][key] = value
            return true
        }
    }
    public func delete(_ kind: String, _ key: String) { table.withLock { _ = $0[kind]?.removeValue(forKey: key) } }
    public func list(_ kind: String) -> [(key: String, value: Data)] {
        table.withLock { ($0[kind] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }
}

/// One JSON file per kind under `<data>/server/`, rewritten atomically (temp file, fsync,
/// rename) under an exclusive `flock`, so `presidio tokens create` and a running server can
/// both change it. Reads reload the file when its modification time or size changed.
public final class FileServerState: ServerStateStore {
    public let directory: String
    private struct Cached { var stamp: [Int]; var values: [String: String] }
    private let cache = Mutex<[String: Cached]>([:])

    public init(directory: String) { self.directory = directory }

    private func path(_ kind: String) -> String { "\(directory)/\(kind).json" }

    private func stamp(_ path: String) -> [Int] {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }
        let m = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return [Int(m * 1e6), (a[.size] as? NSNumber)?.intValue ?? -1, (a[.systemFileNumber] as? NSNumber)?.intValue ?? -1]
    }

    private func load(_ kind: String) -> [String: String] {
        let p = path(kind)
        let s = stamp(p)
        if let c = cache.withLock({ $0[kind] }), c.stamp == s { return c.values }
        let values = FileManager.default.contents(atPath: p).flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
        cache.withLock { $0[kind] = Cached(stamp: s, values: values) }
        return values
    }

    private func modify<T>(_ kind: String, _ body: (inout [String: String]) -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lockPath = "\(directory)/.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EventStoreError(.io, "cannot open \(lockPath)") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        cache.withLock { _ = $0.removeValue(forKey: kind) }
        var values = load(kind)
        let result = body(&values)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(values)
        let tmp = path(kind) + ".tmp"
        let out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw EventStoreError(.io, "cannot write \(tmp)") }
        let written = data.withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
        let synced = fsync(out)
        close(out)
        guard written == data.count, synced == 0, rename(tmp, path(kind)) == 0 else { throw EventStoreError(.io, "cannot write \(path(kind))") }
        cache.withLock { _ = $0.removeValue(forKey: kind) }
        return result
    }

    public func get(_ kind: String, _ key: String) throws -> Data? { load(kind)[key].map { Data($0.utf8) } }

    public func put(_ kind: String, _ key: String, _ value: Data, onlyIfAbsent: Bool) throws -> Bool {
        try modify(kind) { v in
            if onlyIfAbsent, v[key] != nil { return false }
            v[key] = String(decoding: value, as: UTF8.self)
            return true
        }
    }

    public func delete(_ kind: String, _ key: String) throws { try modify(kind) { _ = $0.removeValue(forKey: key) } }

    public func list(_ kind: String) throws -> [(key: String, value: Data)] {
        load(kind).sorted { $0.key < $1.key }.map { ($0.key, Data($0.value.utf8)) }
    }
}

/// The `server_state` table, shared by every API node on one PostgreSQL.
public struct PostgresServerState: ServerStateStore {
    let store: PostgresStore
    public init(store: PostgresStore) { self.store = store }
    public func get(_ kind: String, _ key: String) async throws -> Data? { try await store.stateGet(kind: kind, key: key) }
    public func put(_ kind: String, _ key: String, _ value: Data, onlyIfAbsent: Bool) async throws -> Bool {
        try await store.statePut(kind: kind, key: key, value: value, onlyIfAbsent: onlyIfAbsent)
    }
    public func delete(_ kind: String, _ key: String) async throws { try await store.stateDelete(kind: kind, key: key) }
    public func list(_ kind: String) async throws -> [(key: String, value: Data)] { try await store.stateList(kind: kind) }
}
