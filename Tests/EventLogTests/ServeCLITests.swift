import EventLog
import Foundation
import Testing

@Suite("presidio serve on the embedded store, as a new user meets it")
struct ServeCLITests {
    @Test("while serve holds the folder, submit / alerts / asset / queue go through it; log stats and audit read it; a writer names the server")
    func commandsWorkWhileServing() throws {
        let dir = TempDirectory("serve-cli")
        defer { dir.remove() }
        let ex = Served.root.appendingPathComponent("events/examples")
        var r = try PresidioBinary.run(["submit", "bridge-census", ex.appendingPathComponent("BridgeCensused.v1.json").path, "--data", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let port = Served.freePort()
        let server = try Served.start(["serve", "--data", dir.path, "--listen", "127.0.0.1:\(port)"])
        defer { Served.stop(server) }
        #expect(try Served.waitReady("http://127.0.0.1:\(port)"))
        let env = ["PRESIDIO_RULES": Served.root.appendingPathComponent("projections").path]
        r = try PresidioBinary.run(
            ["submit", "bridge-inspection", "-", "--data", dir.path, "--actor", "ing. Verdi"], stdin: Served.dangerousInspection, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"appended\":1"))
        // Bad input through the server: problems on stderr, exit 2.
        r = try PresidioBinary.run(["submit", "bridge-inspection", "-", "--data", dir.path], stdin: #"{"bridgeId":"MI0001"}"#, environment: env)
        #expect(r.status == 2)
        #expect(r.stderr.contains("\"problems\""))
        var found = false
        let end = Date().addingTimeInterval(15)
        while Date() < end && !found {
            r = try PresidioBinary.run(["alerts", "--state", "firing", "--data", dir.path, "--json"], environment: env)
            found = r.stdout.contains("bridge.dangerousDefect")
            if !found { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(found, "\(r.stdout)\(r.stderr)")
        r = try PresidioBinary.run(["asset", "bridge-MI0001", "--data", dir.path], environment: env)
        #expect(r.status == 0 && r.stdout.contains("Class of Attention"), "\(r.stderr)")
        r = try PresidioBinary.run(["queue", "safety", "--data", dir.path, "--today", "2024-06-01"], environment: env)
        #expect(r.status == 0 && r.stdout.contains("MI0001"), "\(r.stdout)\(r.stderr)")
        r = try PresidioBinary.run(["log", "read", "--data", dir.path])
        #expect(r.stdout.contains(#""actor":"ing. Verdi""#))
        r = try PresidioBinary.run(["audit", "verify", "--data", dir.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        r = try PresidioBinary.run(["log", "append", "--stream", "bridge-X", "--type", "T", "--data", dir.path], stdin: "{}")
        #expect(r.status == 1)
        #expect(r.stderr.contains("held by presidio serve") && r.stderr.contains("127.0.0.1:\(port)"), "\(r.stderr)")
    }

    @Test("reads never create anything; an unknown --store scheme is refused")
    func readsCreateNothing() throws {
        let dir = TempDirectory("serve-cli-empty")
        defer { dir.remove() }
        let missing = dir.path + "/typo"
        for args in [["alerts"], ["queue", "safety"], ["asset", "bridge-MI0001"], ["projections", "status"], ["log", "stats"]] {
            let r = try PresidioBinary.run(args + ["--data", missing])
            #expect(r.status != 0, "\(args)")
            #expect(!FileManager.default.fileExists(atPath: missing), "\(args) created \(missing)")
        }
        let r = try PresidioBinary.run(["alerts", "--store", "mysql://x@y/z"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--store"))
    }
}
