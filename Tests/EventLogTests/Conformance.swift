import EventLog
import Foundation
import Testing

/// The backend-agnostic conformance suite: every case takes a fresh, empty store.
/// `EmbeddedConformanceTests` and `PostgresConformanceTests` run all of them.
enum Conformance {
    typealias Case = @Sendable (any EventStore) async throws -> Void

    static let cases: [String: Case] = [
        "emptyStore": emptyStore,
        "appendAndReadBack": appendAndReadBack,
        "expectedVersions": expectedVersions,
        "batchIsAtomic": batchIsAtomic,
        "idempotentRetry": idempotentRetry,
        "invalidEventsAreRefused": invalidEventsAreRefused,
        "edgeEventsAcceptedAlike": edgeEventsAcceptedAlike,
        "concurrentAppenders": concurrentAppenders,
        "contendedStream": contendedStream,
        "subscriptionCatchUpThenLive": subscriptionCatchUpThenLive,
        "subscriptionFromMiddle": subscriptionFromMiddle,
        "pagination": pagination,
        "hashChainAndVerify": hashChainAndVerify,
        "largeBatchWithOddCharacters": largeBatchWithOddCharacters,
        "redaction": redaction,
    ]
    static let names = cases.keys.sorted()

    static func event(
        _ stream: String, _ type: String = "Tested", json: String = #"{"n":1}"#, id: UUID = UUID(),
        expected: ExpectedVersion = .any
    ) -> ProposedEvent {
        ProposedEvent(id: id, stream: stream, type: type, payload: Data(json.utf8), actor: "tester", expected: expected)
    }

    static func emptyStore(_ store: any EventStore) async throws {
        #expect(try await store.headPosition() == 0)
        #expect(try await store.read(from: 1, limit: 10).isEmpty)
        #expect(try await store.streamVersion("bridge-X") == nil)
        #expect(try await store.readStream("bridge-X", from: 0, limit: 10).isEmpty)
        let report = try await store.verify()
        #expect(report.intact)
        #expect(report.eventsChecked == 0)
    }

    static func appendAndReadBack(_ store: any EventStore) async throws {
        let corr = UUID()
        // Odd spacing on purpose: the payload must come back byte for byte.
        let a = ProposedEvent(
            stream: "bridge-MI0001", type: "BridgeCensused", schemaVersion: 2, payload: Data(#"{ "km" : 12.50,"name":"Ponte"}"#.utf8),
            metadata: Data(#"{"source":"test"}"#.utf8), actor: "inspector-7", correlationId: corr, causationId: UUID(),
            expected: .noStream)
        let b = event("bridge-MI0002", "BridgeCensused", expected: .noStream)
        let c = event("bridge-MI0001", "BridgeInspected", json: #"{"defects":[1,2,3]}"#, expected: .exact(0))
        let before = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let result = try await store.append([a, b, c])
        #expect(result.positions == [1, 2, 3])
        #expect(result.appended == 3)
        #expect(result.head == 3)
        let all = try await store.read(from: 1, limit: 100)
        #expect(all.map(\.position) == [1, 2, 3])
        let first = try #require(all.first)
        #expect(first.payload == a.payload)
        #expect(first.metadata == a.metadata)
        #expect(first.id == a.id)
        #expect(first.type == "BridgeCensused")
        #expect(first.schemaVersion == 2)
        #expect(first.actor == "inspector-7")
        #expect(first.correlationId == corr)
        #expect(first.causationId == a.causationId)
        #expect(first.version == 0)
        #expect(first.hash.count == 32)
        #expect(abs(first.recordedAt - before) < 60_000_000)
        #expect(all[2].version == 1)
        #expect(all[1].version == 0)
        let stream = try await store.readStream("bridge-MI0001", from: 0, limit: 10)
        #expect(stream.map(\.position) == [1, 3])
        #expect(try await store.readStream("bridge-MI0001", from: 1, limit: 10).map(\.position) == [3])
        #expect(try await store.readCategory("bridge", from: 2, limit: 10).map(\.position) == [2, 3])
        #expect(try await store.readCategory("meter", from: 1, limit: 10).isEmpty)
        #expect(try await store.streamVersion("bridge-MI0001") == 1)
        #expect(try await store.position(ofEventId: c.id) == 3)
        let stats = try await store.stats()
        #expect(stats.head == 3)
        #expect(stats.streams == 2)
        #expect(stats.headHash == all[2].hash.hex)
    }

    static func expectedVersions(_ store: any EventStore) async throws {
        try await store.append(event("site-1", expected: .noStream))
        await expectStoreError(.wrongExpectedVersion, containing: ["site-1", "no stream", "version 0"]) {
            try await store.append(event("site-1", expected: .noStream))
        }
        await expectStoreError(.wrongExpectedVersion, containing: ["site-2", "stream exists", "no stream"]) {
            try await store.append(event("site-2", expected: .streamExists))
        }
        await expectStoreError(.wrongExpectedVersion, containing: ["site-1", "version 5", "actual version 0"]) {
            try await store.append(event("site-1", expected: .exact(5)))
        }
        try await store.append(event("site-1", expected: .exact(0)))
        try await store.append(event("site-1", expected: .streamExists))
        try await store.append(event("site-1", expected: .any))
        #expect(try await store.streamVersion("site-1") == 3)
        #expect(try await store.headPosition() == 4)
    }

    static func batchIsAtomic(_ store: any EventStore) async throws {
        try await store.append(event("meter-A", expected: .noStream))
        // Second event's expectation fails: neither event may land.
        await expectStoreError(.wrongExpectedVersion, containing: ["meter-A"]) {
            try await store.append([event("meter-B", expected: .noStream), event("meter-A", expected: .exact(7))])
        }
        #expect(try await store.headPosition() == 1)
        #expect(try await store.streamVersion("meter-B") == nil)
        // In-batch expectations see earlier events of the same batch.
        let r = try await store.append([
            event("meter-B", expected: .noStream), event("meter-B", expected: .exact(0)), event("meter-A", expected: .exact(0)),
        ])
        #expect(r.positions == [2, 3, 4])
        #expect(try await store.streamVersion("meter-B") == 1)
    }

    static func idempotentRetry(_ store: any EventStore) async throws {
        let batch = [event("wastesite-1", expected: .noStream), event("wastesite-1", expected: .exact(0))]
        let first = try await store.append(batch)
        try await store.append(event("wastesite-2"))
        let again = try await store.append(batch)
        #expect(again.positions == first.positions)
        #expect(again.appended == 0)
        #expect(try await store.headPosition() == 3)
        // Same id, other content: refused, nothing appended.
        var changed = batch[0]
        changed.payload = Data(#"{"n":2}"#.utf8)
        await expectStoreError(.duplicateEventId, containing: [batch[0].id.uuidString]) {
            try await store.append([event("wastesite-3"), changed])
        }
        #expect(try await store.headPosition() == 3)
        // A batch that repeats one id with the same content twice lands once.
        let e = event("wastesite-4")
        let r = try await store.append([e, e])
        #expect(r.positions == [4, 4])
        #expect(r.appended == 1)
    }

    static func invalidEventsAreRefused(_ store: any EventStore) async throws {
        let bad: [(ProposedEvent, String)] = [
            (event("nocategory"), "stream"),
            (event("-x"), "stream"),
            (event("bridge-"), "stream"),
            (event("bridge-1", "", json: #"{}"#), "type"),
            (event("bridge-1", "T", json: #"{"a":}"#), "data"),
            (event("bridge-1", "T", json: #"[1,2]"#), "data"),
            (event("bridge-1", "T", json: #"{"a":1} x"#), "data"),
        ]
        for (e, field) in bad {
            await expectStoreError(.invalidEvent, containing: [field]) { try await store.append([event("bridge-ok"), e]) }
        }
        var m = event("bridge-1")
        m.metadata = Data("[]".utf8)
        await expectStoreError(.invalidEvent, containing: ["metadata"]) { try await store.append(m) }
        #expect(try await store.headPosition() == 0)
    }

    /// One definition of a valid event for every store (and PostgreSQL's jsonb view): what one
    /// store refuses, the other refuses; what one keeps, the other keeps byte for byte.
    static func edgeEventsAcceptedAlike(_ store: any EventStore) async throws {
        let refused: [(ProposedEvent, String)] = [
            (event("bridge-1", "T", json: #"{"name":"a\u0000b"}"#), "data"),
            (event("bridge-1", "T", json: #"{"name":"\ud800"}"#), "data"),
            (event("bridge-1", "T", json: #"{"name":"\udc00x"}"#), "data"),
            (event("bridge-1", "T", json: #"{"name":"\ud800\u0041"}"#), "data"),
            (event("bridge-1", "T", json: #"{"\u0000":1}"#), "data"),
            (event("bridge-1", "T", json: #"{"n":1e999999}"#), "data"),
        ]
        for (e, field) in refused {
            await expectStoreError(.invalidEvent, containing: [field]) { try await store.append(e) }
        }
        var nulActor = event("bridge-1")
        nulActor.actor = "ins\u{0}pector"
        await expectStoreError(.invalidEvent, containing: ["actor"]) { try await store.append(nulActor) }
        var lineActor = event("bridge-1")
        lineActor.actor = "inspector\n"
        await expectStoreError(.invalidEvent, containing: ["actor"]) { try await store.append(lineActor) }
        var bigVersion = event("bridge-1")
        bigVersion.schemaVersion = UInt32(Int32.max) + 1
        await expectStoreError(.invalidEvent, containing: ["schemaVersion"]) { try await store.append(bigVersion) }
        var nulMeta = event("bridge-1")
        nulMeta.metadata = Data(#"{"m":"\u0000"}"#.utf8)
        await expectStoreError(.invalidEvent, containing: ["metadata"]) { try await store.append(nulMeta) }
        #expect(try await store.headPosition() == 0)

        // Kept: a surrogate pair, the largest schema version, exponents and odd characters.
        var maxVersion = event("bridge-2", json: #"{"name":"\ud83c\udf09 ponte","n":-1.5e308,"m":1E-300}"#)
        maxVersion.schemaVersion = UInt32(Int32.max)
        maxVersion.actor = "ispettore è"
        let r = try await store.append(maxVersion)
        #expect(r.appended == 1)
        let back = try #require(try await store.read(from: 1, limit: 1).first)
        #expect(back.schemaVersion == UInt32(Int32.max))
        #expect(back.payload == maxVersion.payload)
        #expect(back.actor == "ispettore è")
        #expect(try await store.verify().intact)
    }

    static func concurrentAppenders(_ store: any EventStore) async throws {
        let writers = 64
        let perWriter = 20
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for i in 0..<perWriter {
                        let expected: ExpectedVersion = i == 0 ? .noStream : .exact(UInt64(i - 1))
                        let r = try await store.append(event("meter-\(w)", json: #"{"w":\#(w),"i":\#(i)}"#, expected: expected))
                        #expect(r.appended == 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = UInt64(writers * perWriter)
        #expect(try await store.headPosition() == total)
        let all = try await store.read(from: 1, limit: Int(total) + 10)
        #expect(all.map(\.position) == Array(1...total))
        for w in [0, 17, 63] {
            let s = try await store.readStream("meter-\(w)", from: 0, limit: 100)
            #expect(s.map(\.version) == (0..<UInt64(perWriter)).map { $0 })
            #expect(s.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<perWriter).map { #"{"w":\#(w),"i":\#($0)}"# })
        }
        #expect(try await store.verify().intact)
    }

    static func contendedStream(_ store: any EventStore) async throws {
        // Optimistic concurrency on one stream: read version, append with it, retry on conflict.
        let tasks = 8
        let each = 10
        try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var conflicts = 0
                    var done = 0
                    while done < each {
                        let v = try await store.streamVersion("bridge-HOT")
                        do {
                            try await store.append(event("bridge-HOT", json: #"{"t":\#(t)}"#, expected: v.map { .exact($0) } ?? .noStream))
                            done += 1
                        } catch let e as EventStoreError where e.code == .wrongExpectedVersion {
                            conflicts += 1
                        }
                    }
                    return conflicts
                }
            }
            for try await _ in group {}
        }
        let s = try await store.readStream("bridge-HOT", from: 0, limit: 1000)
        #expect(s.count == tasks * each)
        #expect(s.map(\.version) == (0..<UInt64(tasks * each)).map { $0 })
    }

    static func subscriptionCatchUpThenLive(_ store: any EventStore) async throws {
        for i in 0..<10 { try await store.append((0..<10).map { j in event("meter-\(i)", json: #"{"j":\#(j)}"#) }) }
        let target: UInt64 = 300
        let consumer = Task { () -> [UInt64] in
            var seen: [UInt64] = []
            for try await e in store.subscribe(from: 1, batchSize: 7) {
                seen.append(e.position)
                if e.position == target { break }
            }
            return seen
        }
        // Live appends while the consumer catches up and then waits.
        for i in 0..<40 {
            try await store.append((0..<5).map { j in event("meter-live\(i % 3)", json: #"{"j":\#(j)}"#) })
            if i % 10 == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        let seen = try await consumer.value
        #expect(seen == Array(1...target))
    }

    static func subscriptionFromMiddle(_ store: any EventStore) async throws {
        try await store.append((0..<20).map { _ in event("bridge-S") })
        var seen: [UInt64] = []
        let sub = store.subscribe(from: 15)
        for try await e in sub {
            seen.append(e.position)
            if e.position == 22 { break }
            if e.position == 20 { try await store.append([event("bridge-S"), event("bridge-T")]) }
        }
        #expect(seen == Array(15...22))
        // Cancellation of a waiting subscriber ends it promptly.
        let waiting = Task { for try await _ in store.subscribe(from: 100) {} }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: (any Error).self) { try await waiting.value }
    }

    static func pagination(_ store: any EventStore) async throws {
        for i in 0..<25 { try await store.append([event("bridge-\(i % 4)"), event("meter-\(i % 3)")]) }
        var from: UInt64 = 1
        var all: [UInt64] = []
        while true {
            let page = try await store.read(from: from, limit: 7)
            guard let last = page.last else { break }
            all += page.map(\.position)
            from = last.position + 1
        }
        #expect(all == Array(1...50))
        let cat = try await store.readCategory("meter", from: 10, limit: 5)
        #expect(cat.map(\.position) == [10, 12, 14, 16, 18])
        let s = try await store.readStream("bridge-1", from: 2, limit: 2)
        #expect(s.map(\.version) == [2, 3])
        #expect(try await store.read(from: 51, limit: 10).isEmpty)
    }

    static func largeBatchWithOddCharacters(_ store: any EventStore) async throws {
        // Big enough for bulk paths (COPY on PostgreSQL, several LZ4 blocks embedded), with
        // characters that need escaping in one format or another.
        let batch = (0..<1500).map { i in
            ProposedEvent(
                stream: "bridge-Città\\\(i % 7)", type: "Odd\\Type",
                payload: Data(#"{"s":"tab\there \"q\" \\ ünï 😀","i":\#(i),"pad":"\#(String(repeating: "z", count: i % 300))"}"#.utf8),
                metadata: Data(#"{"note":"line1\nline2"}"#.utf8), actor: "ispettore \\ Rossi è", correlationId: i % 2 == 0 ? UUID() : nil)
        }
        let r = try await store.append(batch)
        #expect(r.positions == Array(1...1500))
        // Found by id and by stream as soon as acknowledged (the embedded store indexes a
        // lone large commit while it syncs), and an exact retry appends nothing.
        #expect(try await store.position(ofEventId: batch[1499].id) == 1500)
        #expect(try await store.streamVersion("bridge-Città\\3") == 213)
        let again = try await store.append(batch)
        #expect(again.positions == r.positions && again.appended == 0)
        let back = try await store.read(from: 1, limit: 2000)
        #expect(back.count == 1500)
        for (p, e) in zip(batch, back) {
            #expect(p.hasSameContent(as: e))
        }
        #expect(try await store.readStream("bridge-Città\\3", from: 0, limit: 1000).count == 214)
        #expect(try await store.verify().intact)
    }

    static func hashChainAndVerify(_ store: any EventStore) async throws {
        for i in 0..<30 { try await store.append(event("bridge-\(i % 5)", json: #"{"i":\#(i)}"#)) }
        let all = try await store.read(from: 1, limit: 100)
        var previous = RecordCodec.genesisHash
        for e in all {
            #expect(RecordCodec.expectedHash(of: e, previous: previous) == e.hash)
            previous = e.hash
        }
        let report = try await store.verify()
        #expect(report.intact)
        #expect(report.eventsChecked == 30)
        #expect(report.headHash == previous.hex)
    }
}

/// Expects an `EventStoreError` with `code` whose description contains every fragment.
func expectStoreError(
    _ code: EventStoreError.Code, containing fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let e as EventStoreError {
        #expect(e.code == code, "got \(e)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(e.description.contains(f), "'\(e.description)' lacks '\(f)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected EventStoreError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
