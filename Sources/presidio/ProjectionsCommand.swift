import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Projection workers: catch up, rebuild, status.", subcommands: [Run.self, Rebuild.self, Status.self])

    static var names: [String] { ProjectionSet.names }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Catch up from the snapshots, publish alert transitions into the log, then follow new events (Ctrl-C stops). `presidio serve` runs the same workers with the API."
        )
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Stop after catching up and publishing.") var once = false

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let set = try options.projectionSet(s)
            let resumed = try await set.restore()
            var last = Date()
            try await set.catchUp { p in
                if isatty(2) != 0, Date().timeIntervalSince(last) > 1 {
                    last = Date()
                    FileHandle.standardError.write(Data("\rcatching up: position \(p)".utf8))
                }
            }
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            for w in set.workers {
                let published = try await w.publishAlerts()
                try await w.saveSnapshot()
                let st = try await w.workerStatus()
                print(
                    "\(st.name): \(resumed[w.name] == true ? "resumed from snapshot" : "rebuilt") at position \(st.position), \(published) alert events published, \(st.alertsFiring) firing"
                )
            }
            if once { return }
            let follow = FollowService(set: set, live: LiveReadModel(), publishes: true, logger: .presidio(label: "projections"))
            try await follow.run()
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a projection's snapshot and rebuild it from the whole log.")
        @OptionGroup var options: ProjectionOptions
        @Argument(help: "Projection name (default: all).") var name: String?

        func validate() throws {
            if let name, !ProjectionsCommand.names.contains(name) {
                throw ValidationError("unknown projection '\(name)'; one of \(ProjectionsCommand.names.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let s = try options.store.open()
            defer { s.close() }
            let set = try options.projectionSet(s)
            let head = try await s.headPosition()
            let chosen = set.workers.filter { name == nil || $0.name == name }
            for w in chosen {
                try await w.dropSnapshot()
                try await w.restore()
            }
            // One read of the log for every projection rebuilt; progress on a terminal.
            let started = Date()
            var last = Date()
            while true {
                let from = chosen.map(\.position).min() ?? head
                let page = try await s.read(from: from + 1, limit: 4096)
                if page.isEmpty { break }
                for w in chosen { w.apply(page: page) }
                if isatty(2) != 0, Date().timeIntervalSince(last) >= 1 {
                    last = Date()
                    FileHandle.standardError.write(Data("\rrebuilding: position \(page.last!.position) of \(head)".utf8))
                }
            }
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let secs = Date().timeIntervalSince(started)
            for w in chosen {
                try await w.saveSnapshot()
                let st = try await w.workerStatus()
                print(
                    String(
                        format: "%@: rebuilt over %llu log events in %.1f s (%.0f events/s); snapshot sha256 %@", st.name, st.position, secs,
                        secs > 0 ? Double(st.position) / secs : 0, st.snapshotSHA256))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Position, lag, rate, rule-set version and snapshot hash of each projection (reads only).")
        @OptionGroup var options: ProjectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try options.store.open(readOnly: true)
            defer { s.close() }
            let head = try await s.headPosition()
            var statuses: [ProjectionStatus] = []
            for w in try options.projectionSet(s).workers {
                try await w.restore()
                let before = w.position
                try await w.catchUp(until: nil, untilTime: nil, saveSnapshots: false)
                var st = try await w.workerStatus()
                st.lag = head > before ? head - before : 0
                statuses.append(st)
            }
            if json { return try printJSON(statuses) }
            print("projection   position   lag (before catch-up)   events/s   rule set         advisory   firing   parked   snapshot sha256")
            for st in statuses {
                print(
                    st.name.padded(12) + String(format: " %9llu   %21llu   %8.0f   ", st.position, st.lag, st.eventsPerSecond)
                        + st.ruleSet.label.padded(16) + " " + (st.ruleSet.advisory.isEmpty ? "no " : "yes")
                        + String(format: "        %6d   %6d   ", st.alertsFiring, st.parkedEvents) + st.snapshotSHA256)
            }
            // Parked events: what an operator must look at (the projection went on without them).
            for st in statuses where st.parkedEvents > 0 {
                print(
                    "\n\(st.name): \(st.parkedEvents) event\(st.parkedEvents == 1 ? "" : "s") parked (could not be applied; a rebuild after a fix applies them)\(st.parkedEvents > st.parked.count ? ", the latest \(st.parked.count):" : ":")"
                )
                for p in st.parked { print("  position \(p.position)  \(p.type) v\(p.schemaVersion) on \(p.stream): \(p.reason)") }
            }
            for st in statuses where !st.unpublishable.isEmpty {
                print("\n\(st.name): alerts that could not be published: \(st.unpublishable.joined(separator: ", "))")
            }
        }
    }
}
