import EventLog
import Foundation
import Hummingbird
import Logging
import NIOCore
import Projections
import ServiceLifecycle

/// `presidio serve`: one process that owns the store, runs the projection workers and serves
/// the API, as services of one `ServiceGroup`. SIGTERM / SIGINT stop accepting requests, finish
/// the in-flight ones (live feeds end), save the snapshots and close the store.
public struct PresidioServer: Sendable {
    public struct Options: Sendable {
        public var location: StoreLocation
        public var host: String
        public var port: Int
        public var role: ServeRole
        public var rulesDirectory: String
        public var readyLag: UInt64 = 10_000
        /// Sign the head every `checkpointEvery` with this key (nil: no periodic checkpoints),
        /// writing the files to `checkpointDirectory`.
        public var checkpointKey: SigningKey?
        public var checkpointEvery: Duration = .seconds(3600)
        public var checkpointDirectory: String?

        public init(location: StoreLocation, host: String, port: Int, role: ServeRole, rulesDirectory: String) {
            self.location = location
            self.host = host
            self.port = port
            self.role = role
            self.rulesDirectory = rulesDirectory
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable { public var description: String }

    let options: Options
    let logger: Logger

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until a signal; `onRunning` hears the URL actually bound (port 0 picks one).
    public func run(onRunning: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        if options.location.dataDirectory != nil && options.role != .all {
            throw Failure(
                description:
                    "--role \(options.role.rawValue) needs a shared PostgreSQL log (--store postgres://…); the embedded store runs --role all")
        }
        let store = try options.location.open { logger.warning("\($0)") }
        defer { store.close() }
        let head = try await store.headPosition()
        logger.info(
            "store: \(options.location.description) (\(options.location.dataDirectory == nil ? "PostgreSQL" : "embedded")), head at position \(head)")
        // A redaction recorded but not applied (a crash between the two) is finished first.
        if options.role.publishes, case let done = try await store.completePendingRedactions(), !done.isEmpty {
            logger.notice(
                "finished \(done.count) recorded redaction(s) a stop had interrupted: positions \(done.map(String.init).joined(separator: ", "))")
        }
        let app = try makeApplication(
            store: store, state: options.location.serverState(for: store), snapshots: options.location.snapshots(for: store), onRunning: onRunning)
        try await app.runService()
        if let dir = options.location.dataDirectory { ServerRecord.remove(directory: dir) }
        logger.info("stopped; closing the store")
    }

    /// The whole service over an open store: the API router, the follow service and the
    /// shutdown watcher, as one Hummingbird application (tests run it with HummingbirdTesting).
    public func makeApplication(
        store: any EventStore, state: any ServerStateStore, snapshots: any SnapshotStore, tokens: TokenRegistry? = nil,
        onRunning: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> Application<RouterResponder<APIContext>> {
        let tokens = tokens ?? TokenRegistry(state: state)
        let local = options.location.dataDirectory != nil ? tokens.makeLocalToken() : nil
        let set = try ProjectionSet(
            store: store, rulesDirectory: options.rulesDirectory, snapshots: options.role.publishes ? snapshots : ReadOnlySnapshots(snapshots))
        logger.info("rule sets: \(set.readModel().ruleSets.map(\.label).joined(separator: ", ")) from \(options.rulesDirectory)")
        let live = LiveReadModel()
        let shutdown = ShutdownFlag()
        var env = APIEnvironment(
            store: store, live: live, tokens: tokens, state: state, rulesDirectory: options.rulesDirectory, role: options.role, shutdown: shutdown,
            logger: logger)
        env.readyLag = options.readyLag
        let hub = options.role.servesAPI ? FeedHub(store: store, logger: logger) : nil
        env.hub = hub
        let follow = FollowService(set: set, live: live, publishes: options.role.publishes, logger: logger)
        follow.hub = hub
        let router = PresidioRoutes(env: env).router()
        let location = options.location
        let role = options.role
        let options = self.options
        let logger = self.logger
        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "presidio"),
            services: [follow, ShutdownWatcher(flag: shutdown)] + (hub.map { [$0] } ?? []) + checkpointService(store: store),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                let url = "http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(port)"
                if let dir = location.dataDirectory {
                    do {
                        try ServerRecord(pid: getpid(), url: url, startedAt: ISO8601DateFormatter().string(from: Date()), localToken: local).write(
                            directory: dir)
                    } catch { logger.error("cannot write \(ServerRecord.path(dir)): \(error)") }
                }
                logger.info(
                    "serving \(role == .workers ? "health and metrics" : "the API") at \(url) (role \(role.rawValue)); OpenAPI at \(url)/openapi.json"
                )
                onRunning(url)
            },
            logger: logger)
    }
}

extension PresidioServer {
    /// The periodic signer, in the process that appends (the workers' role writes the log's records).
    func checkpointService(store: any EventStore) -> [any Service] {
        guard let key = options.checkpointKey, options.role.publishes else { return [] }
        let directory = options.checkpointDirectory ?? ((options.location.dataDirectory ?? ".") + "/checkpoints")
        return [CheckpointService(store: store, key: key, every: options.checkpointEvery, directory: directory, logger: logger)]
    }
}

/// Sets the flag when a graceful shutdown begins, so live feeds end and the server can stop.
struct ShutdownWatcher: Service {
    let flag: ShutdownFlag
    func run() async throws {
        try? await gracefulShutdown()
        flag.set()
    }
}

/// API-only processes resume from the workers' snapshots but never write them.
struct ReadOnlySnapshots: SnapshotStore {
    let inner: any SnapshotStore
    init(_ inner: any SnapshotStore) { self.inner = inner }
    func load(_ name: String) async throws -> Snapshot? { try await inner.load(name) }
    func save(_ snapshot: Snapshot) async throws {}
    func delete(_ name: String) async throws {}
}
