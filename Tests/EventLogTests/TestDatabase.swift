@testable import EventLogPostgres
import EventLog
import Foundation
import Testing

/// The throwaway PostgreSQL that `ops/test` starts. Tests that need it fail loudly without it.
enum TestDatabase {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "PRESIDIO_TEST_PG is not set: PostgreSQL tests need the throwaway server that `ops/test` starts (run the suite through ops/test)"
        }
    }

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["PRESIDIO_TEST_PG"], !url.isEmpty else { throw Missing() }
        return url
    }

    /// A store in a fresh schema of its own, so tests never see each other's events.
    static func freshStore() throws -> (PostgresStore, String) {
        let schema = "t_" + UUID.random().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        _ = try PostgresStore.migrate(url: try url(), schema: String(schema))
        return (try PostgresStore(url: try url(), schema: String(schema)), String(schema))
    }

    static func drop(_ schema: String) {
        guard let url = try? url(), let c = try? PGConnection(conninfo: url) else { return }
        _ = try? c.exec("DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }

    /// Runs `pg_ctl` on the test server (as the postgres user when we are root).
    ///
    /// Spawned with posix_spawn + waitpid rather than Foundation's `Process`: the restarted
    /// postmaster would inherit Process's exit-monitoring descriptor and `waitUntilExit` would
    /// then wait for the database server itself.
    static func pgctl(_ args: [String]) throws -> Int32 {
        let env = ProcessInfo.processInfo.environment
        guard let dir = env["PRESIDIO_TEST_PG_DIR"], let bin = env["PRESIDIO_TEST_PG_BIN"] else { throw Missing() }
        var argv = ["\(bin)/pg_ctl", "-D", "\(dir)/data", "-l", "\(dir)/server.log"] + args
        if getuid() == 0 { argv = ["/usr/sbin/runuser", "-u", "postgres", "--"] + argv }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, environ)
        guard rc == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }
}
