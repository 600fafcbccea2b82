import Foundation

/// Paths into the repository's `events/` folder.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let events = root.appendingPathComponent("events")

    static func example(_ versionedName: String) throws -> Data {
        try Data(contentsOf: events.appendingPathComponent("examples/\(versionedName).json"))
    }

    static func schemaText(_ versionedName: String) throws -> String {
        try String(contentsOf: events.appendingPathComponent("schemas/\(versionedName).schema.json"), encoding: .utf8)
    }

    /// A fixed "now" after every example's date.
    static let now = ISO8601DateFormatter().date(from: "2025-06-01T12:00:00Z")!
}

struct TempDir {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("domain-\(UUID().uuidString)").path
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
