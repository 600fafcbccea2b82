@testable import EventLogPostgres
import EventLog
import Foundation
import Testing

/// A connection string's password never reaches a message, and what no retry can fix is not
/// called retryable.
@Suite("PostgreSQL connection strings")
struct ConnInfoTests {
    @Test(arguments: [
        ("postgres://u:secret%zz@[::1/db", "secret"), ("postgres://u:hunter2@127.0.0.1:1/db?bogus=1", "hunter2"),
        ("postgres://u@127.0.0.1:1/db?password=hunter3&bogus=1", "hunter3"), ("postgresql://u:s3cr3t@127.0.0.1:1/db?sslmode=bogus", "s3cr3t"),
        ("host=127.0.0.1 port=1 password='p w' bogus=1", "p w"), ("host=127.0.0.1 port=1 password=pw9 sslmode=bogus", "pw9"),
    ])
    func badStringsAreUsageErrorsWithoutThePassword(_ url: String, _ secret: String) {
        do {
            _ = try PostgresStore(url: url)
            Issue.record("connected with \(url)")
        } catch let e as EventStoreError {
            #expect(e.code == .invalidArgument, "\(e)")
            #expect(!e.description.contains(secret), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func anUnreachableServerIsRetryableAndRedacted() {
        do {
            _ = try PostgresStore(url: "postgres://u:hunter2@127.0.0.1:1/db")
            Issue.record("connected")
        } catch let e as EventStoreError {
            #expect(e.code == .retryable)
            #expect(!e.description.contains("hunter2"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func redactionCoversEveryForm() {
        #expect(ConnInfo.redact("token \"se%63ret\" and secret", conninfo: "postgres://u:se%63ret@h/db", password: nil) == "token \"***\" and ***")
        #expect(ConnInfo.redact("pw is abc", conninfo: "host=h", password: "abc") == "pw is ***")
        #expect(ConnInfo.isRejection("FATAL:  password authentication failed for user \"u\""))
        #expect(ConnInfo.isRejection("FATAL:  database \"x\" does not exist"))
        #expect(!ConnInfo.isRejection("connection to server at \"127.0.0.1\", port 1 failed: Connection refused"))
    }
}
