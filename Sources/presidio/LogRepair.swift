import ArgumentParser
import EventLog
import Foundation

extension Log {
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Quarantine damage at the end of the embedded log that an open refuses, and record the loss.",
            discussion: """
                A writable open quarantines a torn write by itself; anything else at the tail (a complete \
                block that fails its check, bytes after a clean shutdown, acknowledged positions missing) \
                stops it. This command shows what it would cut; with --yes it moves those bytes to \
                quarantine/ beside the segments (nothing is deleted), truncates the segment there and \
                appends a LogRepaired event naming the segment, offset, byte count, the bytes' SHA-256 and \
                the reason. Events held by the cut bytes are no longer in the log. Damage in a sealed \
                segment cannot be repaired this way: restore a backup.
                """)
        @Option(name: .long, help: ArgumentHelp("Data folder of the embedded store (default: $PRESIDIO_DATA or ./presidio-data).", valueName: "dir"))
        var data: String?
        @Flag(help: "Cut and record (without it, only say what would be cut).") var yes = false

        func run() async throws {
            let directory = data ?? ProcessInfo.processInfo.environment["PRESIDIO_DATA"] ?? "./presidio-data"
            guard FileManager.default.fileExists(atPath: directory) else {
                throw CLIFailure(message: "data folder \(directory) does not exist", exitCode: 2)
            }
            let reader = try SegmentStore(directory: directory, options: .init(readOnly: true))
            let tail = reader.recovery.tail
            reader.close()
            guard let tail else {
                print("nothing to repair: the log's tail checks out (run presidio audit verify for the whole log)")
                return
            }
            print("found: \(tail.description)")
            guard yes else {
                print("would move \(tail.bytes) bytes from offset \(tail.offset) of \(tail.segment) to the quarantine; run again with --yes")
                return
            }
            var options = SegmentStore.Options()
            options.repairDamage = true
            let store = try SegmentStore(directory: directory, options: options)
            defer { store.close() }
            if let r = store.recovery.repair {
                print(
                    "moved \(r.bytes) bytes to \(directory)/\(r.quarantine) (sha256 \(r.sha256)); recorded as LogRepaired; head is now \(try await store.headPosition())"
                )
            }
        }
    }
}
