import ArgumentParser
import EventLog
import Foundation
import Logging
import Projections
import Server

/// `presidio serve`: the running service (API + projection workers) on one store.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Presidio as a service: HTTP API and projection workers on one store (Ctrl-C / SIGTERM stops cleanly).",
        discussion: """
            On the embedded store one process owns the data folder (role all); the other commands reach it through \
            <data>/server.json. With PostgreSQL, several --role api processes and one or more --role workers share the log.
            """)
    @OptionGroup var options: ProjectionOptions
    @Option(help: ArgumentHelp("Address to listen on, host:port (port 0 picks a free one).", valueName: "host:port")) var listen: String =
        "127.0.0.1:8080"
    @Option(help: "all (API and workers), api, or workers.") var role: String = "all"
    @Option(help: "Log format: text or json.") var logFormat: String = "text"
    @Option(help: "Readiness fails while the projections are more than this many events behind.") var readyLag: UInt64 = 10_000
    @Option(help: ArgumentHelp("Sign a checkpoint of the log's head periodically with this Ed25519 key (see audit keygen).", valueName: "file"))
    var checkpointKey: String?
    @Option(help: ArgumentHelp("Minutes between signed checkpoints.", valueName: "minutes")) var checkpointEvery: Double = 60
    @Option(help: ArgumentHelp("Where the server writes checkpoint files (default: DATA/checkpoints).", valueName: "dir"))
    var checkpointDir: String?

    func validate() throws {
        guard ServeRole(rawValue: role) != nil else { throw ValidationError("--role: must be all, api or workers (got '\(role)')") }
        guard PresidioLogHandler.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format: must be text or json") }
        _ = try hostPort()
    }

    func hostPort() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen: must be host:port, e.g. 127.0.0.1:8080 (got '\(listen)')")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen: the host is missing (got '\(listen)')") }
        return (host, port)
    }

    func run() async throws {
        // A log piped into a reader that goes away (`| tee`, a collector restart) must not kill
        // the service mid-shutdown: a write to a closed pipe fails instead of raising SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        PresidioLogHandler.bootstrap(format: PresidioLogHandler.Format(rawValue: logFormat)!)
        let (host, port) = try hostPort()
        var opts = PresidioServer.Options(
            location: try options.store.resolved, host: host, port: port, role: ServeRole(rawValue: role)!, rulesDirectory: options.rulesDirectory)
        opts.readyLag = readyLag
        if let checkpointKey {
            guard checkpointEvery > 0, checkpointEvery <= 10_080 else {
                throw CLIFailure(message: "--checkpoint-every: must be between 0 and 10080 minutes (got \(checkpointEvery))", exitCode: 2)
            }
            guard let pem = try? String(contentsOfFile: checkpointKey, encoding: .utf8) else {
                throw CLIFailure(message: "--checkpoint-key: cannot read \(checkpointKey)", exitCode: 2)
            }
            do { opts.checkpointKey = try SigningKey(pem: pem) } catch { throw CLIFailure(message: "--checkpoint-key: \(error)", exitCode: 2) }
            opts.checkpointEvery = .milliseconds(Int64(checkpointEvery * 60_000))
            opts.checkpointDirectory = checkpointDir
        }
        do {
            try await PresidioServer(options: opts, logger: Logger(label: "presidio")).run()
        } catch let e as PresidioServer.Failure {
            throw CLIFailure(message: e.description, exitCode: 2)
        }
    }
}
