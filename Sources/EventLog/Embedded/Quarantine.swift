import Foundation

/// Bytes cut from a segment are moved here, never deleted: `quarantine/<segment>.<offset>.bin`
/// beside the segments, with the `LogRepair` that describes them in a `.json` of the same name.
/// The `.json` is also the promise to record the repair in the log: every writable open appends
/// the records of the files it finds (their ids make that idempotent), so a crash between the
/// cut and its record loses neither.
enum Quarantine {
    static let folder = "quarantine"

    /// Copies `[offset, end)` of the segment into the quarantine, durably, then truncates the
    /// segment to `offset`. Returns the repair to record.
    static func cut(
        directory: String, segment: String, offset: UInt64, end: UInt64, kind: String, lastKeptPosition: UInt64,
        missingPositions: UInt64, reason: String, now: Date = Date()
    ) throws -> LogRepair {
        let path = directory + "/" + segment
        let file = try SegmentFile(path: path, writable: true)
        let bytes = end > offset ? try file.read(at: offset, count: Int(end - offset)) : []
        let folderPath = directory + "/" + folder
        try FileManager.default.createDirectory(atPath: folderPath, withIntermediateDirectories: true)
        let name = "\(segment).\(SegmentFormat.padded(offset))"
        let repair = LogRepair(
            kind: kind, segment: segment, offset: offset, bytes: UInt64(bytes.count),
            sha256: RecordCodec.payloadDigest(Data(bytes)).data.hex, quarantine: "\(folder)/\(name).bin",
            lastKeptPosition: lastKeptPosition, missingPositions: missingPositions, reason: reason,
            repairedAt: ISO8601DateFormatter().string(from: now))
        try SegmentFile.writeAtomically(bytes, to: folderPath + "/" + name + ".bin")
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try SegmentFile.writeAtomically([UInt8](try enc.encode(repair)), to: folderPath + "/" + name + ".json")
        try SegmentFile.syncDirectory(directory)
        if end > offset {
            try file.truncate(to: offset)
            try file.sync()
        }
        return repair
    }

    /// The quarantine's two files of a repair (the bytes, the description), relative to the data folder.
    static func files(of r: LogRepair) -> [String] { [r.quarantine, String(r.quarantine.dropLast(4)) + ".json"] }

    /// Every repair described in the quarantine, oldest cut first.
    static func repairs(directory: String) -> [LogRepair] {
        let folderPath = directory + "/" + folder
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folderPath)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { n in
            FileManager.default.contents(atPath: folderPath + "/" + n).flatMap { try? JSONDecoder().decode(LogRepair.self, from: $0) }
        }
    }
}
