import ArgumentParser
import EventLog
import Foundation

/// `--data DIR` (default `./presidio-data`, or `$PRESIDIO_DATA`): where the embedded store lives.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data folder of the embedded store (default: $PRESIDIO_DATA or ./presidio-data).", valueName: "dir"))
    var data: String?

    var dataDirectory: String {
        data ?? ProcessInfo.processInfo.environment["PRESIDIO_DATA"] ?? "./presidio-data"
    }

    /// Opens the store, reporting on stderr what recovery had to repair.
    func open(readOnly: Bool = false) throws -> SegmentStore {
        let store = try SegmentStore(directory: dataDirectory, options: .init(readOnly: readOnly))
        let r = store.recovery
        if r.truncatedBytes > 0 {
            printError("recovered: truncated a torn tail of \(r.truncatedBytes) bytes in \(r.truncatedSegment ?? "?") (an unacknowledged write)")
        }
        return store
    }
}
