@testable import EventLogPostgres
import EventLog
import Foundation
import Synchronization
import Testing

/// Every test that touches the throwaway PostgreSQL, run one at a time: one of them restarts
/// the server, which would break whatever else was using it.
@Suite("PostgreSQL", .serialized)
struct PostgresTests {}

extension PostgresTests {
    @Suite("Conformance: PostgreSQL store")
    struct PostgresConformanceTests {
        @Test(arguments: Conformance.names)
        func conformance(_ name: String) async throws {
            let (store, schema) = try TestDatabase.freshStore()
            defer { TestDatabase.drop(schema) }
            try await Conformance.cases[name]!(store)
            store.close()
            let reopened = try PostgresStore(url: try TestDatabase.url(), schema: schema)
            defer { reopened.close() }
            #expect(try await reopened.verify().intact)
        }
    }

    @Suite("PostgreSQL store: schema, faults, processes")
    struct PostgresStoreTests {
        @Test func refusesAMissingOrOlderSchema() throws {
            #expect {
                _ = try PostgresStore(url: try TestDatabase.url(), schema: "never_migrated")
            } throws: { error in
                (error as? EventStoreError)?.code == .schema && "\(error)".contains("presidio db migrate")
            }
            let schema = "t_old_" + String(UUID.random().uuidString.prefix(8)).lowercased()
            _ = try PostgresStore.migrate(url: try TestDatabase.url(), schema: schema)
            defer { TestDatabase.drop(schema) }
            #expect(try PostgresStore.migrate(url: try TestDatabase.url(), schema: schema).isEmpty)  // idempotent
            let c = try PGConnection(conninfo: try TestDatabase.url())
            try c.exec("DELETE FROM \(schema).migrations")
            #expect {
                _ = try PostgresStore(url: try TestDatabase.url(), schema: schema)
            } throws: { error in
                "\(error)".contains("version 0") && "\(error)".contains("needs \(PostgresSchema.current)")
            }
        }

        /// Two stores (two writer connections, as two API nodes) take turns on the same streams:
        /// each one's optimistic path works from a cache the other makes stale. Stale caches must
        /// be caught (head moved, id already there, expectation) and the locked path must decide.
        @Test func optimisticAppendsFallBackWhenAnotherWriterMovedTheHead() async throws {
            let (a, schema) = try TestDatabase.freshStore()
            let b = try PostgresStore(url: try TestDatabase.url(), schema: schema)
            defer {
                a.close()
                b.close()
                TestDatabase.drop(schema)
            }
            func e(_ expected: ExpectedVersion = .any, id: UUID = .random()) -> ProposedEvent {
                ProposedEvent(id: id, stream: "meter-1", type: "MeterRead", payload: Data(#"{"v":1}"#.utf8), expected: expected)
            }
            // a learns meter-1 (locked path), then appends optimistically.
            #expect(try await a.append([e(.noStream)]).positions == [1])
            #expect(try await a.append([e(.exact(0))]).positions == [2])
            #expect(a.cache.valid && a.cache.head == 2)
            // b appends behind a's back.
            let fromB = e(.exact(1))
            #expect(try await b.append([fromB]).positions == [3])
            // a's cache says version 1 at head 2: the guarded head update must refuse, and the
            // locked path must append at version 3, position 4.
            let r = try await a.append([e()])
            #expect(r.positions == [4])
            #expect(try await a.readStream("meter-1", from: 3, limit: 10).map(\.position) == [4])
            // An expectation that only the fresh state satisfies.
            #expect(try await b.append([e(.exact(3))]).positions == [5])
            #expect(try await a.append([e(.exact(4))]).positions == [6])
            // A retry through a of an event b wrote: an existing id is not appended again.
            let retry = try await a.append([fromB])
            #expect(retry.positions == [3] && retry.appended == 0)
            // What a's cache believes (version 5) is no longer true once b appends: an error
            // naming the actual version, decided under the head lock, not from the cache.
            _ = try await b.append([e()])
            await #expect {
                try await a.append([e(.exact(5))])
            } throws: { error in
                "\(error)".contains("actual version 6")
            }
            #expect(try await a.headPosition() == 7)
            #expect(try await a.verify().intact)
            let versions = try await a.readStream("meter-1", from: 0, limit: 100).map(\.version)
            #expect(versions == Array(0..<7))
        }

        @Test func readOnlyViewExposesPayloadAsJSONB() async throws {
            let (store, schema) = try TestDatabase.freshStore()
            defer {
                store.close()
                TestDatabase.drop(schema)
            }
            try await store.append(
                ProposedEvent(stream: "bridge-MI7", type: "BridgeCensused", payload: Data(#"{"km": 12.50, "name":"Ponte"}"#.utf8)))
            let c = try PGConnection(conninfo: try TestDatabase.url())
            let r = try c.exec("SELECT (data->>'name')::text, jsonb_typeof(data), hash FROM \(schema).events_json WHERE position = 1")
            #expect(try r.text(0, 0) == "Ponte")
            #expect(try r.text(0, 1) == "object")
            #expect(try r.text(0, 2).count == 64)
            // Exact bytes are kept in the table (the hash covers them).
            let raw = try c.exec("SELECT payload FROM \(schema).events WHERE position = 1")
            #expect(String(decoding: try raw.bytes(0, 0), as: UTF8.self) == #"{"km": 12.50, "name":"Ponte"}"#)
            // The edge events the store accepts are readable through the view too (every row, not
            // only count(*), which does not touch jsonb).
            var edge = ProposedEvent(
                stream: "bridge-MI8", type: "T", payload: Data(#"{"name":"\ud83c\udf09 \u2028","n":-1.5e308,"m":1E-300,"big":1e400}"#.utf8),
                metadata: Data(#"{"note":"\u00e8"}"#.utf8), actor: "ispettore è")
            edge.schemaVersion = UInt32(Int32.max)
            try await store.append(edge)
            let all = try c.exec(
                "SELECT count(data->>'name')::text, count(metadata->>'note')::text, max(schema_version)::text FROM \(schema).events_json")
            #expect(try all.text(0, 0) == "2")
            #expect(try all.text(0, 1) == "1")
            #expect(try all.text(0, 2) == String(Int32.max))
        }

        /// The table is append-only in the database too: UPDATE, DELETE and TRUNCATE are refused
        /// unless a redaction names its row (`applyRedaction`); a tamperer who drops the guard is
        /// still caught by `verify`.
        @Test func theEventsTableIsAppendOnlyExceptForARedaction() async throws {
            let (store, schema) = try TestDatabase.freshStore()
            defer {
                store.close()
                TestDatabase.drop(schema)
            }
            _ = try await store.append((0..<3).map { Conformance.event("bridge-MI\($0)", json: Conformance.inspection) })
            let c = try PGConnection(conninfo: try TestDatabase.url())
            for sql in [
                "UPDATE \(schema).events SET payload = '\\x7b7d'::bytea WHERE position = 2", "DELETE FROM \(schema).events WHERE position = 3",
                "TRUNCATE \(schema).events",
            ] {
                #expect { try c.exec(sql) } throws: { "\($0)".contains("append-only") }
            }
            // Naming another row does not open this one.
            #expect {
                try c.transaction {
                    try c.exec("SELECT set_config('presidio.redacting', '1', true)")
                    try c.exec("UPDATE \(schema).events SET payload = '\\x7b7d'::bytea WHERE position = 2")
                }
            } throws: { "\($0)".contains("append-only") }
            _ = try await store.redact(position: 2, fields: ["inspector"], reason: "GDPR", by: "admin")
            var report = try await store.verify()
            #expect(report.intact && report.redacted == [2], "\(report.problem ?? "")")
            let row = try c.exec("SELECT data->>'inspector' FROM \(schema).events_json WHERE position = 2")
            #expect(try row.text(0, 0) == "[redacted]")
            try c.exec("ALTER TABLE \(schema).events DISABLE TRIGGER events_append_only")
            try c.exec("UPDATE \(schema).events SET payload = convert_to('{\"n\":1}', 'UTF8') WHERE position = 3")
            report = try await store.verify()
            #expect(!report.intact && report.firstBadPosition == 3)
        }

        /// PostgreSQL restarted in the middle of appends: in-flight appends fail with a retryable
        /// error, the store reconnects, idempotent retries neither lose nor duplicate.
        @Test(.timeLimit(.minutes(2)))
        func serverRestartDuringAppends() async throws {
            let (store, schema) = try TestDatabase.freshStore()
            defer {
                store.close()
                TestDatabase.drop(schema)
            }
            let writers = 4
            let perWriter = 60
            // Writers keep appending until the restart is over (and at least `perWriter` times):
            // appends got fast enough to finish a fixed count before the server went down.
            final class Flag: Sendable {
                let value = Mutex(false)
            }
            let restarted = Flag()
            let restarter = Task.detached {
                try await Task.sleep(for: .milliseconds(150))
                #expect(try TestDatabase.pgctl(["restart", "-m", "fast", "-w", "-t", "60"]) == 0)
                restarted.value.withLock { $0 = true }
            }
            let (retries, appended) = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                for w in 0..<writers {
                    group.addTask {
                        var retries = 0
                        var i = 0
                        while i < perWriter || !restarted.value.withLock({ $0 }) {
                            let events = (0..<3).map { k in
                                ProposedEvent(stream: "meter-\(w)", type: "Tick", payload: Data(#"{"i":\#(i),"k":\#(k)}"#.utf8))
                            }
                            while true {
                                do {
                                    try await store.append(events)
                                    break
                                } catch let e as EventStoreError where e.isRetryable {
                                    retries += 1
                                    try await Task.sleep(for: .milliseconds(100))
                                }
                            }
                            i += 1
                            try await Task.sleep(for: .milliseconds(2))
                        }
                        return (w, retries, i)
                    }
                }
                var total = (0, [Int](repeating: 0, count: writers))
                for try await (w, r, n) in group {
                    total.0 += r
                    total.1[w] = n
                }
                return total
            }
            try await restarter.value
            let expected = UInt64(appended.reduce(0, +) * 3)
            #expect(try await store.headPosition() == expected)
            let all = try await store.read(from: 1, limit: Int(expected) + 10)
            #expect(all.map(\.position) == Array(1...expected))
            #expect(Set(all.map(\.id)).count == all.count)
            var perStream: [Int] = []
            for w in 0..<writers { perStream.append(try await store.readStream("meter-\(w)", from: 0, limit: 100_000).count) }
            #expect(perStream == appended.map { $0 * 3 })
            #expect(try await store.verify().intact)
            #expect(retries > 0, "the restart should have interrupted at least one append")
        }

        /// Two OS processes appending to one database at once: no gap, no duplicate, chain valid.
        @Test(.timeLimit(.minutes(2)))
        func twoProcessesAppendConcurrently() async throws {
            let (store, schema) = try TestDatabase.freshStore()
            defer {
                store.close()
                TestDatabase.drop(schema)
            }
            let url = try TestDatabase.url()
            var processes: [Process] = []
            for n in 0..<2 {
                let p = Process()
                p.executableURL = PresidioBinary.url
                p.arguments = [
                    "debug", "crash-writer", "--store", url, "--schema", schema, "--tasks", "4", "--batch", "5", "--count", "40",
                    "--prefix", "proc\(n)",
                ]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                processes.append(p)
            }
            for p in processes {
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
            }
            let expected = UInt64(2 * 4 * 5 * 40)
            #expect(try await store.headPosition() == expected)
            let all = try await store.read(from: 1, limit: Int(expected) + 10)
            #expect(all.map(\.position) == Array(1...expected))
            #expect(Set(all.map(\.id)).count == Int(expected))
            // Both processes' appends interleave in the one chain.
            let firstHalf = all.prefix(Int(expected) / 2).map { $0.stream.hasPrefix("proc0") }
            #expect(firstHalf.contains(true) && firstHalf.contains(false))
            #expect(try await store.verify().intact)
        }
    }
}
