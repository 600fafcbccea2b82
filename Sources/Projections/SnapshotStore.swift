import Crypto
import EventLog
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A projection's state at a log position, with the versions that produced it.
public struct Snapshot: Sendable {
    public var name: String
    public var codeVersion: Int
    public var ruleSet: String
    public var position: UInt64
    /// Canonical JSON of the state (sorted keys).
    public var state: Data
    public var sha256: String { Data(SHA256.hash(data: state)).hex }

    public init(name: String, codeVersion: Int, ruleSet: String, position: UInt64, state: Data) {
        self.name = name
        self.codeVersion = codeVersion
        self.ruleSet = ruleSet
        self.position = position
        self.state = state
    }
}

/// Where snapshots live: beside the embedded log (files), or in PostgreSQL with a PostgreSQL log.
public protocol SnapshotStore: Sendable {
    func load(_ name: String) async throws -> Snapshot?
    func save(_ snapshot: Snapshot) async throws
    func delete(_ name: String) async throws
}

/// `<data>/projections/<name>.snapshot`: `"PSNP" ‖ u32 headerLength ‖ header JSON ‖ LZ4(state)`,
/// written atomically (temp file, fsync, rename).
public struct FileSnapshotStore: SnapshotStore {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    struct Header: Codable {
        var name: String
        var codeVersion: Int
        var ruleSet: String
        var position: UInt64
        var sha256: String
        var rawLength: Int
        var compressed: Bool
    }

    func path(_ name: String) -> String { "\(directory)/\(name).snapshot" }

    public func load(_ name: String) throws -> Snapshot? {
        guard let data = FileManager.default.contents(atPath: path(name)), data.count > 8, data.prefix(4) == Data("PSNP".utf8) else { return nil }
        let n = Int(data[4]) << 24 | Int(data[5]) << 16 | Int(data[6]) << 8 | Int(data[7])
        guard data.count >= 8 + n, let h = try? JSONDecoder().decode(Header.self, from: data.subdata(in: 8..<8 + n)) else { return nil }
        let body = data.subdata(in: 8 + n..<data.count)
        guard let state = h.compressed ? LZ4.decompress(body, originalLength: h.rawLength) : body else { return nil }
        let s = Snapshot(name: h.name, codeVersion: h.codeVersion, ruleSet: h.ruleSet, position: h.position, state: state)
        // A damaged snapshot is only a lost shortcut: rebuild from the log.
        return s.sha256 == h.sha256 ? s : nil
    }

    /// Saves atomically; a failure (disk full, permissions) is one clear `EventStoreError.io`
    /// naming the file and the cause, and leaves the previous snapshot in place.
    public func save(_ s: Snapshot) throws {
        do {
            try write(s)
        } catch {
            try? FileManager.default.removeItem(atPath: path(s.name) + ".tmp")
            throw EventStoreError(.io, "cannot save the \(s.name) snapshot to \(path(s.name)): \(Self.cause(error))")
        }
    }

    /// The operating system's words for a Foundation file error ("No space left on device").
    static func cause(_ error: any Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(u.code))) }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    private func write(_ s: Snapshot) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let compressed = LZ4.compress(s.state)
        let header = try JSONEncoder().encode(
            Header(
                name: s.name, codeVersion: s.codeVersion, ruleSet: s.ruleSet, position: s.position, sha256: s.sha256, rawLength: s.state.count,
                compressed: compressed != nil))
        var out = Data("PSNP".utf8)
        let n = UInt32(header.count)
        out += Data([UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)])
        out += header
        out += compressed ?? s.state
        let tmp = path(s.name) + ".tmp"
        FileManager.default.createFile(atPath: tmp, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
        try h.write(contentsOf: out)
        try h.synchronize()
        try h.close()
        guard rename(tmp, path(s.name)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    public func delete(_ name: String) throws {
        if FileManager.default.fileExists(atPath: path(name)) { try FileManager.default.removeItem(atPath: path(name)) }
    }
}
