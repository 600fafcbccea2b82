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
    @Option(help: ArgumentHelp("Address to listen on, host:port (port 0 picks a free one).", valueName: "host:port")) var listen: String = "127.0.0.1:8080"
    @Option(help: "all (API and workers), api, or workers.") var role: String = "all"
    @Option(help: "Log format: text or json.") var logFormat: String = "text"
    @Option(help: "Readiness fails while the projections are more than this many events behind.") var readyLag: UInt64 = 10_000

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
        do {
            try await PresidioServer(options: opts, logger: Logger(label: "presidio")).run()
        } catch let e as PresidioServer.Failure {
            throw CLIFailure(message: e.description, exitCode: 2)
        }
    }
}

/// `presidio tokens`: bearer tokens for the API (only their hashes are stored).
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    /// The token registry beside the store; never needs the writer's lock.
    static func registry(_ store: StoreOptions) throws -> (TokenRegistry, () -> Void) {
        let loc = try store.resolved
        if let dir = loc.dataDirectory {
            return (TokenRegistry(state: FileServerState(directory: dir + "/server")), {})
        }
        let s = try loc.open()
        return (TokenRegistry(state: loc.serverState(for: s)), { s.close() })
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once.")
        @OptionGroup var store: StoreOptions
        @Option(help: "inspector, ingest, engineer, auditor or admin.") var role: String
        @Option(help: "The principal: recorded as the actor of every event appended with this token.") var name: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard let r = Role(rawValue: role), Role.creatable.contains(r) else {
                throw ValidationError("--role: must be one of \(Role.creatable.map(\.rawValue).joined(separator: ", ")) (got '\(role)')")
            }
        }

        func run() async throws {
            let (registry, done) = try Tokens.registry(store)
            defer { done() }
            do {
                let (token, rec) = try await registry.create(role: Role(rawValue: role)!, name: name ?? "\(role)-\(UUID().uuidString.prefix(8).lowercased())")
                if json {
                    struct Out: Encodable {
                        var token: String
                        var record: TokenRecord
                    }
                    return try printJSON(Out(token: token, record: rec))
                }
                print(token)
                FileHandle.standardError.write(Data("token \(rec.id) for \(rec.name) (role \(rec.role.rawValue)); shown once, store it now\n".utf8))
            } catch let e as TokenError { throw CLIFailure(message: e.description, exitCode: 2) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, names, roles; never the tokens).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (registry, done) = try Tokens.registry(store)
            defer { done() }
            let all = try await registry.list()
            if json { return try printJSON(all) }
            print("ID            ROLE       CREATED                REVOKED                NAME")
            for t in all {
                print(t.id.padded(12) + "  " + t.role.rawValue.padded(9) + "  " + t.createdAt.padded(21) + "  " + (t.revokedAt ?? "-").padded(21) + "  " + t.name)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id (or by name when it names one token).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Token id or name.") var id: String

        func run() async throws {
            let (registry, done) = try Tokens.registry(store)
            defer { done() }
            do {
                let r = try await registry.revoke(id)
                guard !r.isEmpty else { throw CLIFailure(message: "no active token \(id)") }
                for t in r { print("revoked \(t.id) (\(t.name), \(t.role.rawValue))") }
            } catch let e as TokenError { throw CLIFailure(message: e.description, exitCode: 2) }
        }
    }
}
