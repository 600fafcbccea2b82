import ArgumentParser
import EventLog
import EventLogPostgres
import Foundation
import Server

/// Where the log lives: the embedded store in `--data DIR` (default `$PRESIDIO_DATA`, else
/// `./presidio-data`), or PostgreSQL with `--store postgres://…` (or `$PRESIDIO_STORE`).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data folder of the embedded store (default: $PRESIDIO_DATA or ./presidio-data).", valueName: "dir"))
    var data: String?

    @Option(
        name: .long,
        help: ArgumentHelp("PostgreSQL store, e.g. postgres://user@host:5432/db (default: $PRESIDIO_STORE; empty: embedded).", valueName: "url"))
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

    func validate() throws {
        if let s = store ?? ProcessInfo.processInfo.environment["PRESIDIO_STORE"], !s.isEmpty, !StoreLocation.isPostgres(s) {
            // Not echoed: a libpq key=value string may hold a password.
            throw ValidationError(
                "--store: must be a postgres:// or postgresql:// URL (the value given is not shown: it may hold a password); an embedded folder goes in --data"
            )
        }
    }

    var resolved: StoreLocation {
        get throws {
            do {
                var location = try StoreLocation(postgresURL ?? dataDirectory, schema: schema)
                location.postgresOptions = ProcessEnvironment.postgresOptions
                return location
            } catch { throw CLIFailure(message: error.description, exitCode: 2) }
        }
    }

    /// A human name for error messages and stats.
    var location: String { postgresURL.map(StoreLocation.redacted) ?? dataDirectory }

    /// Opens the configured store, reporting on stderr what recovery had to repair. Read-only
    /// opens never create a folder nor take the writer's lock.
    func open(readOnly: Bool = false) throws -> any EventStore {
        try resolved.open(readOnly: readOnly) { printError($0) }
    }

    /// The running `presidio serve` that holds this embedded folder, if any.
    var server: ServerRecord? { postgresURL == nil ? ServerRecord.read(directory: dataDirectory) : nil }
}
