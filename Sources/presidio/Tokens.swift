import ArgumentParser
import EventLog
import Foundation
import Logging
import Projections
import Server

/// `presidio tokens`: bearer tokens for the API (only their hashes are stored).
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self])

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
                let (token, rec) = try await registry.create(
                    role: Role(rawValue: role)!, name: name ?? "\(role)-\(UUID().uuidString.prefix(8).lowercased())")
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
                print(
                    t.id.padded(12) + "  " + t.role.rawValue.padded(9) + "  " + t.createdAt.padded(21) + "  " + (t.revokedAt ?? "-").padded(21) + "  "
                        + t.name)
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
