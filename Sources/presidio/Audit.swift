import ArgumentParser
import EventLog
import Foundation

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove the log's integrity.", subcommands: [Verify.self])
}

extension Audit {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC and the whole hash chain; exit 0 only if the log is intact.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let started = Date()
            let report = try await s.verify()
            let secs = Date().timeIntervalSince(started)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(report), as: UTF8.self))
            } else if report.intact {
                print(
                    "intact: \(report.eventsChecked) events, head \(report.headPosition), head hash \(report.headHash) (\(String(format: "%.2f", secs)) s)"
                )
            } else {
                var where_ = "position \(report.firstBadPosition ?? 0)"
                if let seg = report.segment { where_ += ", segment \(seg)" }
                if let off = report.offset { where_ += ", offset \(off)" }
                print("BROKEN at \(where_): \(report.problem ?? "?") (\(report.eventsChecked) events verified before it)")
            }
            if !report.intact { throw ExitCode(3) }
        }
    }
}
