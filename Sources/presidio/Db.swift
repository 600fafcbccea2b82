import ArgumentParser
import EventLog
import EventLogPostgres
import Foundation

struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "PostgreSQL store administration.", subcommands: [Migrate.self])
}

extension Db {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the log's schema (versioned, idempotent, in one transaction).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let url = store.postgresURL else {
                throw CLIFailure(message: "--store: give a postgres:// URL (the embedded store needs no migration)", exitCode: 2)
            }
            let applied = try PostgresStore.migrate(url: url, schema: store.schema)
            if applied.isEmpty {
                print("schema '\(store.schema)' is up to date (version \(PostgresSchema.current))")
            } else {
                print("schema '\(store.schema)' migrated: applied version(s) \(applied.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
