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

        func run() async throws {
            let s = try store.open()
            let batch = self.batch
            FileHandle.standardOutput.write(Data("ready \(try await s.headPosition())\n".utf8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var i = 0
                        while true {
                            let events = (0..<batch).map { k in
                                ProposedEvent(
                                    stream: "crash-\(t)", type: "Tick",
                                    payload: Data(#"{"task":\#(t),"i":\#(i),"k":\#(k),"pad":"\#(String(repeating: "x", count: 100 + (i % 200)))"}"#.utf8))
                            }
                            let r = try await s.append(events)
                            var text = ""
                            for (e, p) in zip(events, r.positions) { text += "ack \(p) \(e.id.uuidString)\n" }
                            FileHandle.standardOutput.write(Data(text.utf8))
                            i += 1
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
