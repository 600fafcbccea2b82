import ArgumentParser
import EventLog
import Foundation

/// Helpers for the crash tests; hidden from help.
struct Debug: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test helpers.", shouldDisplay: false, subcommands: [CrashWriter.self])
}

extension Debug {
    /// Appends forever from several tasks and prints `ack <position> <event-id>` after each
    /// acknowledged append, so a test can SIGKILL it and check that every ack survived.
    struct CrashWriter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "crash-writer")
        @OptionGroup var store: StoreOptions
        @Option var tasks: Int = 8
        @Option var batch: Int = 3
        @Option(help: "Stop after this many appends per task (default: never).") var count: Int?
        @Option(help: "Stream prefix, so several processes can write distinct streams.") var prefix: String = "crash"
        @Option(help: "Embedded segment size in bytes: small ones make the writer seal segments and save index parts while it is killed.")
        var segmentBytes: UInt64?

        func run() async throws {
            let s: any EventStore =
                if let segmentBytes { try SegmentStore(directory: store.dataDirectory, options: .init(segmentSize: segmentBytes)) } else {
                    try store.open()
                }
            let batch = self.batch
            let count = self.count ?? Int.max
            let prefix = self.prefix
            FileHandle.standardOutput.write(Data("ready \(try await s.headPosition())\n".utf8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var i = 0
                        while i < count {
                            let events = (0..<batch).map { k in
                                ProposedEvent(
                                    stream: "\(prefix)-\(t)", type: "Tick",
                                    payload: Data(
                                        #"{"task":\#(t),"i":\#(i),"k":\#(k),"pad":"\#(String(repeating: "x", count: 100 + (i % 200)))"}"#.utf8))
                            }
                            var result: AppendResult?
                            while result == nil {
                                do {
                                    result = try await s.append(events)
                                } catch let e as EventStoreError where e.isRetryable {
                                    // Same events, same ids: the retry is idempotent.
                                    try await Task.sleep(for: .milliseconds(50))
                                }
                            }
                            let r = result!
                            var text = ""
                            for (e, p) in zip(events, r.positions) { text += "ack \(p) \(e.id.uuidString)\n" }
                            FileHandle.standardOutput.write(Data(text.utf8))
                            i += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
            s.close()
        }
    }
}
