import ArgumentParser
import Dashboard
import Foundation
import Server

struct Dash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The engineers' live terminal dashboard: alerts, safety and inspection queues, asset detail, map; act on alerts.",
        discussion: """
            A client of a running `presidio serve` (the one holding --data, or --url/$PRESIDIO_URL with \
            --token/$PRESIDIO_TOKEN), kept live by its feed. Press ? for the keys. NO_COLOR turns colours off. \
            --once prints one view as text and exits: --view alerts|queue-safety|queue-inspection|map, or \
            --view asset ID.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var remote: RemoteOptions
    @Flag(help: "Print one view as plain text and exit.") var once = false
    @Option(help: "With --once: alerts, queue-safety, queue-inspection, asset (followed by its id) or map.") var view: String = "alerts"
    @Argument(help: "With --view asset: the asset id, e.g. bridge-MI0001.") var id: String?
    @Option(help: "With --once: columns (default 100).") var width: Int = 100
    @Option(help: "With --once: rows (default: as many as the view needs).") var height: Int?
    @Option(help: ArgumentHelp("Append one line per alert when first drawn (id, raised position, µs): for ops/bench-dash.", visibility: .hidden))
    var trace: String?

    func validate() throws {
        guard let v = DashState.View(rawValue: view) else {
            throw ValidationError("--view: must be one of \(DashState.View.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(view)')")
        }
        if v == .asset && id == nil { throw ValidationError("--view asset needs the asset id: --view asset bridge-MI0001") }
        if v != .asset && id != nil { throw ValidationError("an asset id goes with --view asset only") }
        if !(20...1000).contains(width) { throw ValidationError("--width: must be between 20 and 1000") }
        if let height, !(6...100_000).contains(height) { throw ValidationError("--height: must be between 6 and 100000") }
    }

    func run() async throws {
        guard let api = remote.client(store) else {
            throw CLIFailure(
                message:
                    "no server to show: start `presidio serve` on \(store.location), or give --url URL (or PRESIDIO_URL) and --token (or PRESIDIO_TOKEN)",
                exitCode: 2)
        }
        let (remote, store) = (remote, store)
        let client = DashClient(api: api, locate: { remote.client(store) })
        if once {
            do {
                print(try await DashOnce.render(client: client, view: DashState.View(rawValue: view)!, assetId: id, width: width, height: height))
            } catch let e as DashOnce.Failure {
                throw CLIFailure(message: e.description, exitCode: 1)
            }
            return
        }
        guard Terminal.isInteractive else {
            throw CLIFailure(message: "presidio dash needs a terminal (use --once to print a view as text)", exitCode: 2)
        }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        try await DashApp(client: client, color: !noColor, tracePath: trace).run()
    }
}
