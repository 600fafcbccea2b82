import Crypto
import Foundation
import Synchronization

/// A consistent copy of an embedded log, taken while a server may be appending: the segment
/// table and head of one moment (a read-only open), every sealed segment whole, the active one
/// up to its last durable commit, and the quarantine (evidence). Index parts and projection
/// snapshots are derived data and are rebuilt after a restore. `backup.json` names the head
/// position and hash the copy must prove, and each file's SHA-256.
public struct BackupManifest: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var name: String
        public var bytes: UInt64
        public var sha256: String
    }
    public static let fileName = "backup.json"
    public var format = "presidio-backup/1"
    public var head: UInt64
    public var headHash: String
    public var createdAt: String
    public var files: [File]
    /// What the source's open found after its last commit, if anything (not copied).
    public var sourceTail: String?
}

public enum Backup {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Copies the log in `source` (read-only: a running writer is not disturbed) into the new
    /// folder `destination`, syncs it, verifies the copy and returns its manifest.
    public static func make(from source: String, to destination: String) async throws -> BackupManifest {
        try requireEmpty(destination, what: "backup destination")
        let reader = try SegmentStore(directory: source, options: .init(readOnly: true))
        defer { reader.close() }
        let (segments, head, headHash) = reader.state.withLock { ($0.segments, $0.head, $0.headHash) }
        guard head > 0 else { throw Failure(description: "\(source) holds no events: nothing to back up") }
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        var files: [BackupManifest.File] = []
        for seg in segments {
            // A sealed segment is immutable; the active one is copied up to its durable data
            // (what the writer adds after that moment is not part of this backup).
            let end = seg.sealed ? try seg.file.size : seg.dataEnd
            files.append(try copy(seg.file, bytes: end, into: destination, name: seg.name))
        }
        for name in Quarantine.repairs(directory: source).flatMap(Quarantine.files) {
            try FileManager.default.createDirectory(atPath: destination + "/" + Quarantine.folder, withIntermediateDirectories: true)
            let file = try SegmentFile(path: source + "/" + name, writable: false)
            files.append(try copy(file, bytes: try file.size, into: destination, name: name))
        }
        let manifest = BackupManifest(
            head: head, headHash: headHash.hex, createdAt: ISO8601DateFormatter().string(from: Date()), files: files,
            sourceTail: reader.recovery.tail?.description)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try SegmentFile.writeAtomically([UInt8](try enc.encode(manifest)), to: destination + "/" + BackupManifest.fileName)
        try SegmentFile.syncDirectory(destination)
        try await prove(destination, manifest: manifest)
        return manifest
    }

    /// Copies a backup into the new data folder `destination`, checking every file's hash,
    /// and proves the restored log has the backup's head position and hash.
    public static func restore(from source: String, to destination: String) async throws -> BackupManifest {
        guard let data = FileManager.default.contents(atPath: source + "/" + BackupManifest.fileName),
            let manifest = try? JSONDecoder().decode(BackupManifest.self, from: data)
        else { throw Failure(description: "\(source) is not a Presidio backup (no readable \(BackupManifest.fileName))") }
        try requireEmpty(destination, what: "restore destination")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for f in manifest.files {
            if f.name.contains("/") {
                try FileManager.default.createDirectory(
                    atPath: destination + "/" + (f.name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            let copied = try copy(try SegmentFile(path: source + "/" + f.name, writable: false), bytes: f.bytes, into: destination, name: f.name)
            guard copied.sha256 == f.sha256 else {
                throw Failure(description: "\(f.name) in the backup does not match its SHA-256 in \(BackupManifest.fileName): the backup is damaged")
            }
        }
        try SegmentFile.syncDirectory(destination)
        try await prove(destination, manifest: manifest)
        return manifest
    }

    /// Opens the copy read-only, verifies it whole, and compares its head with the manifest.
    static func prove(_ directory: String, manifest: BackupManifest) async throws {
        let copy = try SegmentStore(directory: directory, options: .init(readOnly: true))
        defer { copy.close() }
        let report = try await copy.verify()
        guard report.intact else { throw Failure(description: "the copy in \(directory) does not verify: \(report.problem ?? "?")") }
        guard report.headPosition == manifest.head, report.headHash == manifest.headHash else {
            throw Failure(
                description:
                    "the copy in \(directory) ends at \(report.headPosition) (\(report.headHash.prefix(16))…), the backup at \(manifest.head) (\(manifest.headHash.prefix(16))…)"
            )
        }
    }

    static func requireEmpty(_ path: String, what: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return }
        guard isDir.boolValue, (try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty else {
            throw Failure(description: "\(what) \(path) exists and is not an empty folder (nothing is overwritten)")
        }
    }

    /// Copies the first `bytes` of `file` to `directory/name` (created, synced), hashing as it goes.
    static func copy(_ file: SegmentFile, bytes: UInt64, into directory: String, name: String) throws -> BackupManifest.File {
        let out = try SegmentFile(path: directory + "/" + name, writable: true, create: true)
        var hasher = SHA256()
        var offset: UInt64 = 0
        while offset < bytes {
            let chunk = try file.read(at: offset, count: Int(min(bytes - offset, 4 << 20)))
            guard !chunk.isEmpty else { throw Failure(description: "\(file.path) is shorter than \(bytes) bytes") }
            try out.write(chunk, at: offset)
            hasher.update(data: chunk)
            offset += UInt64(chunk.count)
        }
        try out.sync()
        return BackupManifest.File(name: name, bytes: bytes, sha256: Data(hasher.finalize()).hex)
    }
}
