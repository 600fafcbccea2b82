import ArgumentParser
import EventLog
import Foundation
import Server

extension Log {
    /// Copies a whole log between stores, byte for byte, and proves it: same head, same head hash.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a log between the embedded store and PostgreSQL (either direction) and prove the copy.",
            discussion: """
                STORE is a postgres:// URL or an embedded data folder. Positions, times and hashes are kept, so the copy
                has the same head position and head hash. A destination that already holds a prefix of the source
                (an interrupted copy) is continued after checking that its head hash matches the source's.
                """)
        @Option(help: "Source store (postgres:// URL or data folder).") var from: String
        @Option(help: "Destination store (postgres:// URL or data folder).") var to: String
        @Option(help: "PostgreSQL schema (both sides).") var schema: String = "presidio"
        @Option(help: "Events per copied batch.") var batch: Int = 5000

        func run() async throws {
            let source = try StoreLocation(from, schema: schema).open(readOnly: true)
            defer { source.close() }
            let destination = try StoreLocation(to, schema: schema).open { printError($0) }
            defer { destination.close() }
            let started = Date()
            let sourceHead = try await source.headPosition()
            var position = try await destination.headPosition()
            if position > 0 {
                guard position <= sourceHead else {
                    throw CLIFailure(message: "the destination (head \(position)) is ahead of the source (head \(sourceHead))")
                }
                let a = try await source.read(from: position, limit: 1)
                let b = try await destination.read(from: position, limit: 1)
                guard a.first?.hash == b.first?.hash else {
                    throw CLIFailure(message: "the destination is not a prefix of the source: hashes differ at position \(position)")
                }
            }
            var copied = 0
            while position < sourceHead {
                let page = try await source.read(from: position + 1, limit: min(batch, Int(sourceHead - position)))
                guard let last = page.last else { break }
                try await destination.appendVerbatim(page)
                copied += page.count
                position = last.position
            }
            let s = try await source.stats()
            let d = try await destination.stats()
            let secs = Date().timeIntervalSince(started)
            guard s.head == d.head, s.headHash == d.headHash else {
                throw CLIFailure(message: "copy NOT proven: source head \(s.head) \(s.headHash), destination head \(d.head) \(d.headHash)")
            }
            print(
                "{\"copied\":\(copied),\"head\":\(d.head),\"headHash\":\"\(d.headHash)\",\"proven\":true,\"seconds\":\(String(format: "%.3f", secs))}"
            )
        }
    }
}
