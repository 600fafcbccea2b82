import ArgumentParser
import EventLog
import EventLogPostgres
import Foundation

/// Where the log lives: the embedded store in `--data DIR` (default `$PRESIDIO_DATA`, else
/// `./presidio-data`), or PostgreSQL with `--store postgres://…` (or `$PRESIDIO_STORE`).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data folder of the embedded store (default: $PRESIDIO_DATA or ./presidio-data).", valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("PostgreSQL store, e.g. postgres://user@host:5432/db (default: $PRESIDIO_STORE; empty: embedded).", valueName: "url"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("PostgreSQL schema holding the log.", valueName: "name"))
    var schema: String = "presidio"

    var dataDirectory: String {
        data ?? ProcessInfo.processInfo.environment["PRESIDIO_DATA"] ?? "./presidio-data"
    }

    var postgresURL: String? {
        let url = store ?? ProcessInfo.processInfo.environment["PRESIDIO_STORE"]
        return (url?.isEmpty ?? true) ? nil : url
    }

    /// A human name for error messages and stats.
    var location: String { postgresURL.map(StoreLocation.redacted) ?? dataDirectory }

    /// Opens the configured store, reporting on stderr what recovery had to repair.
    func open(readOnly: Bool = false) throws -> any EventStore {
        try StoreLocation.open(postgresURL ?? dataDirectory, schema: schema, readOnly: readOnly)
    }
}

enum StoreLocation {
    static func isPostgres(_ s: String) -> Bool { s.hasPrefix("postgres://") || s.hasPrefix("postgresql://") }

    /// Hides a password in a URL.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }

    /// A `postgres://` URL opens PostgreSQL; anything else is an embedded data folder.
    static func open(_ location: String, schema: String = "presidio", readOnly: Bool = false) throws -> any EventStore {
        if isPostgres(location) { return try PostgresStore(url: location, schema: schema) }
        let store = try SegmentStore(directory: location, options: .init(readOnly: readOnly))
        let r = store.recovery
        if r.truncatedBytes > 0 {
            printError("recovered: truncated a torn tail of \(r.truncatedBytes) bytes in \(r.truncatedSegment ?? "?") (an unacknowledged write)")
        }
        return store
    }
}
