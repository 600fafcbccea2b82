import Foundation

/// A fresh folder under the system temp directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "presidio") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
