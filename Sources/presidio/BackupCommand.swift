import ArgumentParser
import EventLog
import Foundation

/// The embedded store's backup and restore; PostgreSQL logs use pg_dump and point-in-time
/// recovery (README, "Backups").
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded log into a new folder, consistently even while presidio serve appends, and prove the copy.",
        discussion: """
            Copies every sealed segment, the active one up to its last durable commit, and the quarantine; \
            writes backup.json (head position and hash, each file's SHA-256); verifies the copy and checks \
            its head. Index parts and projection snapshots are rebuilt after a restore.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "A new (or empty) folder for the backup.") var destination: String

    func run() async throws {
        if store.postgresURL != nil {
            throw CLIFailure(
                message: "backup copies the embedded store; for PostgreSQL use pg_dump or point-in-time recovery (README, Backups)", exitCode: 2)
        }
        let started = Date()
        do {
            let m = try await Backup.make(from: store.dataDirectory, to: destination)
            let bytes = m.files.reduce(0) { $0 + $1.bytes }
            print(
                "backup of \(store.dataDirectory) in \(destination): head \(m.head), head hash \(m.headHash), \(m.files.count) files, \(bytes) bytes; verified (\(String(format: "%.2f", Date().timeIntervalSince(started))) s)"
            )
            if let tail = m.sourceTail { printError("note: not copied, the source's \(tail)") }
        } catch let e as Backup.Failure {
            throw CLIFailure(message: e.description, exitCode: 2)
        }
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data folder (--data), checking every file's SHA-256 and proving the head.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The backup folder (made by presidio backup).") var source: String

    func run() async throws {
        if store.postgresURL != nil {
            throw CLIFailure(message: "restore writes the embedded store; for PostgreSQL use pg_restore / psql (README, Backups)", exitCode: 2)
        }
        do {
            let m = try await Backup.restore(from: source, to: store.dataDirectory)
            print("restored \(source) into \(store.dataDirectory): head \(m.head), head hash \(m.headHash); verified")
        } catch let e as Backup.Failure {
            throw CLIFailure(message: e.description, exitCode: 2)
        }
    }
}
