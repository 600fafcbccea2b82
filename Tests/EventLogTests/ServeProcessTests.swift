import EventLog
import EventLogPostgres
import Foundation
import Testing

/// Real `presidio serve` processes on loopback, driven with curl as a tablet or a module would.
enum Served {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A free loopback port (bound, then released for the server).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = PresidioBinary.url
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["PRESIDIO_RULES"] = root.appendingPathComponent("projections").path
        p.environment = env
        let log = FileHandle(forWritingAtPath: "/dev/null")
        p.standardOutput = log
        p.standardError = log
        try p.run()
        return p
    }

    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]) ?? [:] }
    }

    /// One HTTP request through curl.
    static func curl(_ method: String, _ url: String, token: String? = nil, body: String? = nil, contentType: String = "application/json") throws
        -> Reply
    {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let body { args += ["-H", "Content-Type: \(contentType)", "--data-binary", body] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: d, as: UTF8.self)
        guard let nl = text.lastIndex(of: "\n") else { return Reply(status: 0, body: text) }
        return Reply(status: Int(text[text.index(after: nl)...]) ?? 0, body: String(text[..<nl]))
    }

    static func waitReady(_ base: String, seconds: Double = 60) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if (try? curl("GET", base + "/readyz"))?.status == 200 { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    static func stop(_ p: Process) {
        guard p.isRunning else { return }
        p.terminate()  // SIGTERM: graceful
        let end = Date().addingTimeInterval(20)
        while p.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }

    static let dangerousInspection =
        #"{"bridgeId":"MI0001","observedAt":"2024-03-12","inspector":"ing. Giulia Ferrari","access":"full","spansInspected":1,"bothElevations":true,"defects":[{"element":"beam","span":1,"instance":"T1","material":"prestressedConcrete","code":"C.a./c.a.p._3","status":"present","g":5,"k1":1,"k2":1,"ps":true}],"criticalElements":[]}"#
}

extension PostgresTests {
    @Suite("presidio serve with PostgreSQL: several processes")
    struct ServePostgresTests {
        @Test(
            "two API processes and one worker process share one PostgreSQL: a survey submitted to one shows its alert through the other, published by the worker"
        )
        func twoAPIsOneWorker() throws {
            let url = try TestDatabase.url()
            let schema = "t_serve_" + String(UUID.random().uuidString.prefix(8)).lowercased()
            defer { TestDatabase.drop(schema) }
            let store = ["--store", url, "--schema", schema]
            var r = try PresidioBinary.run(["db", "migrate"] + store)
            #expect(r.status == 0, "\(r.stderr)")
            r = try PresidioBinary.run(
                ["submit", "bridge-census", Served.root.appendingPathComponent("events/examples/BridgeCensused.v1.json").path] + store)
            #expect(r.status == 0, "\(r.stderr)")
            let inspector = try PresidioBinary.run(["tokens", "create", "--role", "inspector", "--name", "ing. Rossi"] + store).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let engineer = try PresidioBinary.run(["tokens", "create", "--role", "engineer", "--name", "ing. Bianchi"] + store).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(inspector.hasPrefix("prs_") && engineer.hasPrefix("prs_"))
            let ports = (0..<3).map { _ in Served.freePort() }
            let api1 = try Served.start(["serve", "--role", "api", "--listen", "127.0.0.1:\(ports[0])"] + store)
            let api2 = try Served.start(["serve", "--role", "api", "--listen", "127.0.0.1:\(ports[1])"] + store)
            let workers = try Served.start(["serve", "--role", "workers", "--listen", "127.0.0.1:\(ports[2])"] + store)
            defer { [api1, api2, workers].forEach(Served.stop) }
            let bases = ports.map { "http://127.0.0.1:\($0)" }
            for b in bases { #expect(try Served.waitReady(b), "\(b) never became ready") }
            // The workers process serves no API.
            #expect(try Served.curl("GET", bases[2] + "/v1/alerts", token: engineer).status == 404)

            let posted = try Served.curl("POST", bases[0] + "/v1/submissions/bridge-inspection", token: inspector, body: Served.dangerousInspection)
            #expect(posted.status == 201, "\(posted.body)")
            var alertId: String?
            var published = false
            let end = Date().addingTimeInterval(20)
            while Date() < end && !published {
                let a = try Served.curl("GET", bases[1] + "/v1/alerts?asset=bridge-MI0001&rule=bridge.dangerousDefect", token: engineer)
                let item = (a.json["items"] as? [[String: Any]])?.first
                alertId = item?["id"] as? String
                published = item?["raisePublished"] as? Bool ?? false
                if !published { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(alertId != nil, "the alert never showed through the second API process")
            #expect(published, "the workers process never published the AlertRaised event")
            // The inspection's actor is the token's principal; the alert's is the projection.
            r = try PresidioBinary.run(["log", "read"] + store)
            let lines = r.stdout.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
            #expect(lines.contains { $0["type"] as? String == "BridgeInspected" && $0["actor"] as? String == "ing. Rossi" })
            #expect(
                lines.filter { $0["type"] as? String == "AlertRaised" && ($0["stream"] as? String)?.contains("dangerousDefect") == true }.count == 1)
            // An engineer acknowledges through the second API; the first one shows it.
            let ack = try Served.curl(
                "POST", bases[1] + "/v1/alerts/\(alertId ?? "x")/acknowledge", token: engineer, body: #"{"note":"lane closed"}"#)
            #expect(ack.status == 201, "\(ack.body)")
            var acked = false
            let end2 = Date().addingTimeInterval(20)
            while Date() < end2 && !acked {
                let a = try Served.curl("GET", bases[0] + "/v1/alerts/\(alertId ?? "x")", token: engineer)
                acked = ((a.json["acknowledgements"] as? [[String: Any]]) ?? []).contains { $0["by"] as? String == "ing. Bianchi" }
                if !acked { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(acked)
        }
    }
}
