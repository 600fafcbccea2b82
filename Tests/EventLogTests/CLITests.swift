import EventLog
import Foundation
import Testing

/// End-to-end runs of the `presidio` binary: what an operator sees.
@Suite("presidio CLI")
struct CLITests {
    /// Batches are parsed while the previous one is appended, yet committed strictly in order.
    @Test func importCommitsBatchesInOrderAndStopsAtTheFirstFailure() throws {
        let dir = TempDirectory("cli-import")
        defer { dir.remove() }
        let d = ["--data", dir.path]
        // A bad line in the third batch leaves the first two committed and nothing of the third.
        let batches = (0..<6).map {
            #"{"stream":"pipe-1","type":"R","data":{"i":\#($0)},"expectedVersion":\#($0 == 0 ? "\"none\"" : String($0 - 1))}"#
        }
        var r = try PresidioBinary.run(
            ["log", "import", "-", "--raw", "--batch", "2"] + d,
            stdin: (batches + [#"{"stream":"pipe-1","type":"R","data":[]}"#]).joined(separator: "\n"))
        #expect(r.status == 2)
        #expect(r.stderr.contains("line 7:") && r.stderr.contains("lines 7–7") && r.stderr.contains("(6 events imported before)"), "\(r.stderr)")
        // An append that fails (wrong expected version in the second batch) stops the import there.
        let stale = [
            #"{"stream":"pipe-1","type":"R","data":{}}"#, #"{"stream":"pipe-1","type":"R","data":{}}"#,
            #"{"stream":"pipe-1","type":"R","data":{},"expectedVersion":0}"#, #"{"stream":"pipe-1","type":"R","data":{}}"#,
            #"{"stream":"pipe-1","type":"R","data":{}}"#,
        ]
        r = try PresidioBinary.run(["log", "import", "-", "--raw", "--batch", "2"] + d, stdin: stale.joined(separator: "\n"))
        #expect(r.status == 1)
        #expect(r.stderr.contains("lines 3–4:") && r.stderr.contains("(2 events imported before it)"), "\(r.stderr)")
        r = try PresidioBinary.run(["log", "read", "--stream", "pipe-1"] + d)
        #expect(r.stdout.split(separator: "\n").count == 8)
        // An event the store refuses (well-formed line, bad stream name) is named by its line.
        let refused = [
            #"{"stream":"pipe-2","type":"R","data":{}}"#, #"{"stream":"pipe-2","type":"R","data":{}}"#,
            #"{"stream":"pipe-2","type":"R","data":{}}"#, #"{"stream":"nodash","type":"R","data":{}}"#,
        ]
        r = try PresidioBinary.run(["log", "import", "-", "--raw", "--batch", "2"] + d, stdin: refused.joined(separator: "\n"))
        #expect(r.status == 2)
        #expect(
            r.stderr.contains("line 4: event: stream: must be 'category-id'") && r.stderr.contains("lines 3–4")
                && r.stderr.contains("(2 events imported before)"), "\(r.stderr)")
    }

    /// Issue 15, first hour: raw appends into a domain category are checked as `submit` checks
    /// them (the README's own `{"km":4.2}` census used to go in and be dropped by the projection).
    @Test func rawAppendsIntoDomainCategoriesAreCheckedLikeSubmissions() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let d = ["--data", dir.path]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var r = try PresidioBinary.run(
            ["log", "append", "--stream", "bridge-MI0001", "--type", "BridgeCensused", "--expect", "none"] + d, stdin: #"{"km":4.2}"#)
        #expect(r.status == 2 && r.stderr.contains("data.km: is not a known field") && r.stderr.contains("data.bridgeId: is required"), "\(r.stderr)")
        r = try PresidioBinary.run(["log", "append", "--stream", "bridge-MI0001", "--type", "Foo"] + d, stdin: "{}")
        #expect(r.status == 2 && r.stderr.contains("'Foo' is not an event type of the domain") && r.stderr.contains("BridgeInspected"), "\(r.stderr)")
        // Another tool's stream is its own business.
        r = try PresidioBinary.run(["log", "append", "--stream", "pipeline-7", "--type", "Tick"] + d, stdin: #"{"v":1}"#)
        #expect(r.status == 0, "\(r.stderr)")
        // An import: line 2 refers to the bridge line 1 creates; line 3 inspects a bridge nobody censused.
        let census = try String(contentsOf: root.appendingPathComponent("events/examples/BridgeCensused.v1.json"), encoding: .utf8)
        let inspection = try String(contentsOf: root.appendingPathComponent("events/examples/BridgeInspected.v1.json"), encoding: .utf8)
        func line(_ stream: String, _ type: String, _ json: String) -> String {
            #"{"stream":"\#(stream)","type":"\#(type)","data":\#(json.replacingOccurrences(of: "\n", with: " "))}"#
        }
        let lines = [
            line("bridge-MI0001", "BridgeCensused", census), line("bridge-MI0001", "BridgeInspected", inspection),
            line("bridge-MI0002", "BridgeInspected", inspection.replacingOccurrences(of: "MI0001", with: "MI0002")),
        ]
        r = try PresidioBinary.run(["log", "import", "-"] + d, stdin: lines.joined(separator: "\n"))
        #expect(r.status == 2 && r.stderr.contains("line 3: BridgeInspected on bridge-MI0002: data.bridgeId:"), "\(r.stderr)")
        #expect(r.stderr.contains("nothing of lines 1–3 was appended"))
        r = try PresidioBinary.run(["log", "import", "-"] + d, stdin: lines.prefix(2).joined(separator: "\n"))
        #expect(r.status == 0 && r.stdout.contains(#""imported":2"#), "\(r.stderr)")
        // The smoke file is valid, and importing it twice appends nothing the second time.
        let smoke = root.appendingPathComponent("events/examples/log-smoke.ndjson").path
        r = try PresidioBinary.run(["log", "import", smoke] + d)
        #expect(r.status == 0 && r.stdout.contains(#""imported":4"#), "\(r.stderr)")
        r = try PresidioBinary.run(["log", "import", smoke] + d)
        #expect(r.status == 0 && r.stdout.contains(#""alreadyPresent":4"#), "\(r.stderr)")
        // --raw lets anything well-formed in: the projections park it.
        r = try PresidioBinary.run(["log", "append", "--raw", "--stream", "bridge-MI0003", "--type", "BridgeCensused"] + d, stdin: #"{"km":4.2}"#)
        #expect(r.status == 0, "\(r.stderr)")
        r = try PresidioBinary.run(["log", "stats", "--json"] + d)
        #expect(r.stdout.contains(#""head":8"#) || r.stdout.contains(#""head" : 8"#), "\(r.stdout)")
    }

    @Test func appendImportReadStatsVerify() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let d = ["--data", dir.path]
        var r = try PresidioBinary.run(
            ["log", "append", "--raw", "--stream", "bridge-MI0001", "--type", "BridgeCensused", "--expect", "none"] + d,
            stdin: #"{"km": 12.50}"# + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""position":1"#))
        r = try PresidioBinary.run(["log", "append", "--raw", "--stream", "bridge-MI0001", "--type", "X", "--expect", "none"] + d, stdin: "{}")
        #expect(r.status == 1)
        #expect(r.stderr == "presidio: wrong expected version: stream 'bridge-MI0001' expected no stream, actual version 0\n")
        let ndjson = """
            {"stream":"meter-1","type":"MeterRead","data":{"v":1},"actor":"inspector-3"}
            {"stream":"meter-1","type":"MeterRead","data":{"v":2},"expectedVersion":0,"metadata":{"src":"tablet"}}
            {"stream":"meter-2","type":"MeterRead","data":{"v":3},"expectedVersion":"none","id":"7f1c4a2e-0000-4000-8000-000000000001"}

            """
        r = try PresidioBinary.run(["log", "import", "-", "--raw", "--batch", "2"] + d, stdin: ndjson)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""imported":3"#))
        // A malformed line: its line number, and nothing of its batch appended.
        r = try PresidioBinary.run(
            ["log", "import", "-", "--raw", "--batch", "10"] + d,
            stdin: #"{"stream":"meter-3","type":"R","data":{}}"# + "\n" + #"{"stream":"meter-3","type":"R","data":{"v":}}"# + "\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("line 2:"))
        #expect(!r.stderr.contains("\n\n"))
        r = try PresidioBinary.run(["log", "read", "--category", "meter"] + d)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"position":2,"stream":"meter-1","version":0,"#))
        #expect(lines[0].contains(#""actor":"inspector-3""#))
        #expect(lines[1].contains(#""metadata":{"src":"tablet"},"data":{"v":2}"#))
        #expect(lines[2].contains(#""id":"7f1c4a2e-0000-4000-8000-000000000001""#))
        r = try PresidioBinary.run(["log", "read", "--from", "1", "--limit", "1"] + d)
        #expect(r.stdout.contains(#""data":{"km": 12.50}"#))
        #expect(r.stdout.contains(#""recordedAt":"20"#))
        r = try PresidioBinary.run(["log", "stats", "--json"] + d)
        let stats = try JSONDecoder().decode(StoreStats.self, from: Data(r.stdout.utf8))
        #expect(stats.head == 4)
        #expect(stats.streams == 3)
        r = try PresidioBinary.run(["audit", "verify"] + d)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("intact: 4 events"))
    }

    @Test func verifyFailsWithExitStatusAndPosition() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let lines = (0..<20).map { #"{"stream":"bridge-\#($0 % 3)","type":"T","data":{"i":1\#($0)}}"# }.joined(separator: "\n")
        _ = try PresidioBinary.run(["log", "import", "-", "--raw", "--data", dir.path], stdin: lines)
        let seg = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("segment-") }!
        try Tamper.changePayloadByte(segmentPath: dir.path + "/" + seg, position: 9)
        let r = try PresidioBinary.run(["audit", "verify", "--data", dir.path])
        #expect(r.status == 3)
        #expect(r.stdout.hasPrefix("BROKEN at position 9"))
        #expect(r.stdout.contains("hash chain break"))
    }

    /// The report that opened the integrity issue: one flipped byte in the last committed block
    /// of a 20,000-event import. Verify changes nothing and exits 4; a writable command refuses
    /// (exit 3) and names `log repair`; the repair quarantines the bytes and records itself;
    /// verify then passes and lists the repair.
    @Test func aFlipInTheLastBlockIsReportedNeverCutSilently() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let lines = (0..<20_000).map { #"{"stream":"bridge-\#($0 % 50)","type":"T","data":{"i":\#($0)}}"# }.joined(separator: "\n")
        var r = try PresidioBinary.run(["log", "import", "-", "--raw", "--data", dir.path], stdin: lines)
        #expect(r.status == 0, "\(r.stderr)")
        let seg = dir.path + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("segment-") }!)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: seg)))
        // The last block's stored bytes: from the end of the non-zero data, back past its suffix.
        let end = bytes.lastIndex { $0 != 0 }! + 1
        bytes[end - 100] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: seg))
        let snapshot = try Data(contentsOf: URL(fileURLWithPath: seg))

        r = try PresidioBinary.run(["audit", "verify", "--data", dir.path])
        #expect(r.status == 4, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.hasPrefix("DAMAGED TAIL"))
        r = try PresidioBinary.run(["log", "stats", "--data", dir.path])
        #expect(try Data(contentsOf: URL(fileURLWithPath: seg)) == snapshot, "reading changed the segment")

        r = try PresidioBinary.run(["log", "append", "--raw", "--data", dir.path, "--stream", "bridge-1", "--type", "T"], stdin: "{}")
        #expect(r.status == 3)
        #expect(r.stderr.contains("presidio log repair"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: seg)) == snapshot)

        r = try PresidioBinary.run(["log", "repair", "--data", dir.path])
        #expect(r.status == 0 && r.stdout.contains("would move"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: seg)) == snapshot)
        r = try PresidioBinary.run(["log", "repair", "--data", dir.path, "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("recorded as LogRepaired"))

        r = try PresidioBinary.run(["audit", "verify", "--data", dir.path])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("repaired") && r.stdout.contains("manual"))
        r = try PresidioBinary.run(["log", "read", "--data", dir.path, "--stream", "log-repairs"])
        #expect(r.stdout.contains("LogRepaired"))
        r = try PresidioBinary.run(["log", "append", "--raw", "--data", dir.path, "--stream", "log-repairs", "--type", "LogRepaired"], stdin: "{}")
        #expect(r.status == 2 && r.stderr.contains("reserved"))
        let quarantine = dir.path + "/quarantine"
        #expect(try FileManager.default.contentsOfDirectory(atPath: quarantine).contains { $0.hasSuffix(".bin") })
    }

    /// keygen → checkpoint → verify --checkpoint: 0 while the log extends it, 5 once the
    /// checkpoint is altered or signed by another key than the one pinned.
    @Test func checkpointsAreSignedAppendedAndProved() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let d = ["--data", dir.path + "/log"]
        let lines = (0..<50).map { #"{"stream":"bridge-\#($0 % 5)","type":"T","data":{"i":\#($0)}}"# }.joined(separator: "\n")
        var r = try PresidioBinary.run(["log", "import", "-", "--raw"] + d, stdin: lines)
        #expect(r.status == 0, "\(r.stderr)")
        r = try PresidioBinary.run(["audit", "keygen", "--out", dir.path + "/k.pem"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try PresidioBinary.run(["audit", "keygen", "--out", dir.path + "/k.pem"])
        #expect(r.status == 2 && r.stderr.contains("never overwritten"))
        r = try PresidioBinary.run(["audit", "checkpoint", "--key", dir.path + "/k.pem", "--out", dir.path + "/c.json"] + d)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"position\" : 50"))
        r = try PresidioBinary.run(["log", "read", "--stream", "log-checkpoints"] + d)
        #expect(r.stdout.contains("LogCheckpointed"))
        let pin = ["--public-key", dir.path + "/k.pem.pub"]
        r = try PresidioBinary.run(["audit", "verify", "--checkpoint", dir.path + "/c.json"] + pin + d)
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("the log extends position 50"))

        let text = try String(contentsOfFile: dir.path + "/c.json", encoding: .utf8)
        try text.replacingOccurrences(of: "position 50", with: "position 49").replacingOccurrences(of: "\"position\" : 50", with: "\"position\" : 49")
            .write(toFile: dir.path + "/altered.json", atomically: true, encoding: .utf8)
        r = try PresidioBinary.run(["audit", "verify", "--checkpoint", dir.path + "/altered.json"] + d)
        #expect(r.status == 5)
        #expect(r.stdout.contains("CHECKPOINT FAILS") && r.stdout.contains("signature does not verify"))
        _ = try PresidioBinary.run(["audit", "keygen", "--out", dir.path + "/other.pem"])
        r = try PresidioBinary.run(["audit", "verify", "--checkpoint", dir.path + "/c.json", "--public-key", dir.path + "/other.pem.pub"] + d)
        #expect(r.status == 5 && r.stdout.contains("not the expected one"))
    }

    /// `audit redact` as an admin runs it: the name and photos go, verify stays intact and names
    /// who, when and why, the report lists it, and facts or a missing reason are refused.
    @Test func auditRedactKeepsTheChainAndSaysWhoWhenAndWhy() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("events/examples")
        let d = ["--data", dir.path]
        var r = try PresidioBinary.run(["submit", "bridge-census", examples.appendingPathComponent("BridgeCensused.v1.json").path] + d)
        #expect(r.status == 0, "\(r.stderr)")
        r = try PresidioBinary.run(["submit", "bridge-inspection", examples.appendingPathComponent("BridgeInspected.v1.json").path] + d)
        #expect(r.status == 0, "\(r.stderr)")
        r = try PresidioBinary.run(["audit", "redact", "2", "--field", "defects[*].g", "--reason", "x"] + d)
        #expect(r.status == 2 && r.stderr.contains("defects[*].g") && r.stderr.contains("only texts"), "\(r.stderr)")
        r = try PresidioBinary.run(["audit", "redact", "2", "--field", "inspector", "--reason", " "] + d)
        #expect(r.status == 2 && r.stderr.contains("reason"), "\(r.stderr)")
        r = try PresidioBinary.run(
            ["audit", "redact", "2", "--field", "inspector", "--field", "defects[*].photos", "--reason", "GDPR art. 17", "--actor", "admin Bianchi"]
                + d)
        #expect(r.status == 0 && r.stdout.contains("redacted defects[*].photos, inspector of BridgeInspected at position 2"), "\(r.stderr)")
        r = try PresidioBinary.run(["log", "read", "--from", "2", "--limit", "1"] + d)
        #expect(!r.stdout.contains("Giulia") && !r.stdout.contains(".jpg") && r.stdout.contains(#""inspector":"[redacted]""#))
        r = try PresidioBinary.run(["audit", "verify"] + d)
        #expect(r.status == 0 && r.stdout.hasPrefix("intact"), "\(r.stdout)")
        #expect(r.stdout.contains("by admin Bianchi: defects[*].photos, inspector of BridgeInspected at position 2"))
        r = try PresidioBinary.run(["audit", "report", "--from", "2000-01-01", "--format", "md"] + d)
        #expect(r.stdout.contains("admin Bianchi redacted defects[*].photos, inspector of BridgeInspected at position 2"), "\(r.stdout)")
        // The projections still read the redacted inspection.
        r = try PresidioBinary.run(["asset", "bridge-MI0001", "--json"] + d)
        #expect(r.status == 0 && r.stdout.contains(#""on" : "2024-03-12""#) && r.stdout.contains(#""psSevere" : true"#), "\(r.stdout) \(r.stderr)")
        // A position past the head is a mistyped number, not "now" (issue 15, first hour).
        r = try PresidioBinary.run(["asset", "bridge-MI0001", "--as-of", "999999999"] + d)
        #expect(r.status != 0 && r.stderr.contains("--as-of: must be a log position from 1 to the head"), "\(r.stderr)")
    }

    @Test func submitValidatesPrintsProblemsAsJSONAndAppendsNothing() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("events/examples")
        let census = examples.appendingPathComponent("BridgeCensused.v1.json").path
        var r = try PresidioBinary.run(["submit", "bridge-census", census, "--data", dir.path, "--actor", "ing. Rossi"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""positions":[1]"#))
        let bad =
            #"{"bridgeId":"MI0001","observedAt":"2024-03-12","inspector":"x","access":"full","spansInspected":1,"bothElevations":true,"criticalElements":[],"defects":[{"element":"pier","span":1,"material":"masonry","code":"Mu_1","status":"present","g":3,"k1":0.3,"k2":1,"ps":false}]}"#
        r = try PresidioBinary.run(["submit", "bridge-inspection", "-", "--data", dir.path], stdin: bad)
        #expect(r.status == 2)
        let problems = try JSONSerialization.jsonObject(with: Data(r.stderr.utf8)) as? [String: Any]
        let list = problems?["problems"] as? [[String: String]]
        #expect(list?.first?["path"] == "defects[0].k1")
        #expect(list?.first?["message"] == "must be one of 0.2, 0.5, 1 (got 0.3)")
        r = try PresidioBinary.run(["log", "stats", "--json", "--data", dir.path])
        #expect(r.stdout.contains(#""head":1"#))
        r = try PresidioBinary.run(["submit", "--help"])
        #expect(r.stdout.contains("bridge-inspection") && r.stdout.contains("meter-readings") && r.stdout.contains("wastesite-inspection"))
    }

    @Test func errorsAreOneLineNeverACrash() throws {
        let dir = TempDirectory("cli")
        defer { dir.remove() }
        var r = try PresidioBinary.run(["log", "read", "--data", dir.path + "/missing"])
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("presidio: "))
        #expect(r.stderr.split(separator: "\n").count == 1)
        // An invalid event is bad input: status 2, like every other refusal of input.
        r = try PresidioBinary.run(["log", "append", "--raw", "--stream", "nodash", "--type", "T", "--data", dir.path], stdin: "{}")
        #expect(r.status == 2)
        #expect(r.stderr == "presidio: invalid event: events[0].stream: must be 'category-id' (no '-' in 'nodash')\n")
        r = try PresidioBinary.run(
            ["log", "append", "--raw", "--stream", "a-b", "--type", "T", "--expect", "seven", "--data", dir.path], stdin: "{}")
        #expect(r.status == 2)
        #expect(r.stderr.contains("--expect"))
        r = try PresidioBinary.run(["bench", "log", "--inflight", "4,x", "--scratch", dir.path + "/bench"])
        #expect(r.status == 2)
        #expect(r.stderr == "presidio: --inflight: give integers ≥ 0 separated by commas (0: only one appender at a time)\n")
    }

    /// A small run of `bench log` prints one row per in-flight depth asked for, with its baseline.
    @Test func benchLogPrintsARowPerDepth() throws {
        let dir = TempDirectory("bench")
        defer { dir.remove() }
        let r = try PresidioBinary.run([
            "bench", "log", "--batch", "100", "--events", "2000", "--inflight", "3,5", "--concurrent-events", "64", "--json",
            "--scratch", dir.path + "/b",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
        let tests = rows.compactMap { $0["test"] as? String }
        #expect(tests == ["append", "append-3-in-flight", "append-5-in-flight", "append-concurrent-64", "replay", "replay+verify"])
        for row in rows.prefix(3) {
            #expect((row["events"] as? Int) == 2000)
            #expect(((row["baselineEventsPerSecond"] as? Double) ?? 0) > 0 && ((row["ratioToBaseline"] as? Double) ?? 0) > 0)
        }
    }
}

extension PostgresTests {
    @Suite("presidio CLI with PostgreSQL")
    struct CLIPostgresTests {
        @Test func copyEmbeddedToPostgresAndBackProvesTheSameHead() throws {
            let url = try TestDatabase.url()
            let schema = "t_copy_" + String(UUID.random().uuidString.prefix(8)).lowercased()
            defer { TestDatabase.drop(schema) }
            let a = TempDirectory("copy-a")
            let b = TempDirectory("copy-b")
            defer {
                a.remove()
                b.remove()
            }
            let lines = (0..<250).map { #"{"stream":"bridge-\#($0 % 9)","type":"T","data":{"i":\#($0)}}"# }.joined(separator: "\n")
            var r = try PresidioBinary.run(["log", "import", "-", "--raw", "--data", a.path], stdin: lines)
            #expect(r.status == 0, "\(r.stderr)")
            r = try PresidioBinary.run(["log", "copy", "--from", a.path, "--to", url, "--schema", schema])
            #expect(r.status == 1)
            #expect(r.stderr.contains("presidio db migrate"))
            r = try PresidioBinary.run(["db", "migrate", "--store", url, "--schema", schema])
            #expect(r.status == 0, "\(r.stderr)")
            r = try PresidioBinary.run(["log", "copy", "--from", a.path, "--to", url, "--schema", schema, "--batch", "100"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains(#""copied":250"#) && r.stdout.contains(#""proven":true"#))
            r = try PresidioBinary.run(["log", "copy", "--from", url, "--to", b.path, "--schema", schema])
            #expect(r.status == 0, "\(r.stderr)")
            let sa = try PresidioBinary.run(["log", "stats", "--json", "--data", a.path]).stdout
            let sb = try PresidioBinary.run(["log", "stats", "--json", "--data", b.path]).stdout
            let ja = try JSONDecoder().decode(StoreStats.self, from: Data(sa.utf8))
            let jb = try JSONDecoder().decode(StoreStats.self, from: Data(sb.utf8))
            #expect(ja.head == 250 && ja.headHash == jb.headHash && ja.head == jb.head)
            r = try PresidioBinary.run(["audit", "verify", "--store", url, "--schema", schema])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            // The same NDJSON lines come out of both stores.
            let ra = try PresidioBinary.run(["log", "read", "--data", a.path]).stdout
            let rp = try PresidioBinary.run(["log", "read", "--store", url, "--schema", schema]).stdout
            #expect(ra == rp)

            // Backups of a PostgreSQL log are pg_dump's (README, Backups): a signed checkpoint,
            // a dump of the schema, the schema dropped and restored; the log proves the checkpoint.
            r = try PresidioBinary.run(["audit", "keygen", "--out", a.path + "/k.pem"])
            r = try PresidioBinary.run([
                "audit", "checkpoint", "--key", a.path + "/k.pem", "--out", a.path + "/c.json", "--store", url, "--schema", schema,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let bin = try #require(ProcessInfo.processInfo.environment["PRESIDIO_TEST_PG_BIN"])
            #expect(try Self.tool(bin + "/pg_dump", ["--format=custom", "--schema", schema, "--file", a.path + "/dump", url]) == 0)
            TestDatabase.drop(schema)
            r = try PresidioBinary.run(["audit", "verify", "--store", url, "--schema", schema])
            #expect(r.status != 0, "the schema is gone")
            #expect(try Self.tool(bin + "/pg_restore", ["--dbname", url, a.path + "/dump"]) == 0)
            r = try PresidioBinary.run(["audit", "verify", "--checkpoint", a.path + "/c.json", "--store", url, "--schema", schema])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("head 251") && r.stdout.contains("the log extends position 250"))
        }

        static func tool(_ path: String, _ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
    }

    @Test func projectionSnapshotsLiveInPostgreSQL() throws {
        let url = try TestDatabase.url()
        let schema = "t_snap_" + String(UUID.random().uuidString.prefix(8)).lowercased()
        defer { TestDatabase.drop(schema) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let examples = root.appendingPathComponent("events/examples")
        let env = ["PRESIDIO_RULES": root.appendingPathComponent("projections").path]
        var r = try PresidioBinary.run(["db", "migrate", "--store", url, "--schema", schema])
        #expect(r.status == 0, "\(r.stderr)")
        for (kind, file) in [("wastesite", "WasteSiteRegistered.v1"), ("wastesite-inspection", "WasteSiteInspected.v1")] {
            r = try PresidioBinary.run(["submit", kind, examples.appendingPathComponent("\(file).json").path, "--store", url, "--schema", schema])
            #expect(r.status == 0, "\(r.stderr)")
        }
        r = try PresidioBinary.run(["projections", "run", "--once", "--store", url, "--schema", schema], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wastesites: rebuilt"))
        #expect(r.stdout.contains("2 alert events published"))
        r = try PresidioBinary.run(["projections", "run", "--once", "--store", url, "--schema", schema], environment: env)
        #expect(r.stdout.contains("wastesites: resumed from snapshot"))
        #expect(r.stdout.contains("0 alert events published"))
        r = try PresidioBinary.run(["alerts", "--store", url, "--schema", schema, "--json"], environment: env)
        #expect(r.stdout.contains("wastesite.nonCompliance.quantity"))
    }
}
