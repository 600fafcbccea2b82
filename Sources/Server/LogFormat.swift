import Foundation
import Logging
import Synchronization

/// swift-log output for the service: one line per record on stderr, as text for a terminal or
/// as JSON (`--log-format json`) for a log collector.
public struct PresidioLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Format

    public init(label: String, format: Format) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let lock = Mutex<Void>(())

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, b in b }
        let time = ISO8601DateFormatter.string(
            from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        var line: String
        switch format {
        case .text:
            line = "\(time) \(event.level) \(label): \(event.message)"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) where k != "hb.request.id" { line += " \(k)=\(v)" }
        case .json:
            var obj: [String: String] = ["time": time, "level": "\(event.level)", "logger": label, "message": "\(event.message)"]
            for (k, v) in all { obj[k] = "\(v)" }
            let d = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: d, as: UTF8.self)
        }
        Self.lock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Bootstraps swift-log once for the process.
    public static func bootstrap(format: Format, level: Logger.Level = .info) {
        LoggingSystem.bootstrap { label in
            var h = PresidioLogHandler(label: label, format: format)
            h.logLevel = level
            return h
        }
    }
}

extension Logger {
    public static func presidio(label: String) -> Logger { Logger(label: label) }
}
