import ArgumentParser
import EventLog
import Foundation

extension Audit {
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 key for signing checkpoints (PKCS#8 PEM, and the public key beside it as FILE.pub).")
        @Option(help: ArgumentHelp("Where to write the private key (mode 0600; never overwritten).", valueName: "file")) var out: String

        func run() async throws {
            for path in [out, out + ".pub"] where FileManager.default.fileExists(atPath: path) {
                throw CLIFailure(message: "--out: \(path) exists; a signing key is never overwritten", exitCode: 2)
            }
            let key = SigningKey()
            guard FileManager.default.createFile(atPath: out, contents: Data(key.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CLIFailure(message: "--out: cannot write \(out)", exitCode: 2)
            }
            try Data(key.publicKeyPEM.utf8).write(to: URL(fileURLWithPath: out + ".pub"))
            print("wrote \(out) (private, keep it off the log's machine if you can) and \(out).pub; key fingerprint \(key.fingerprint)")
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the log's head (log id, position, head hash, time), print it, write it to a file and append it to the log.",
            discussion: """
                Keep the file somewhere the log's writers cannot change: `presidio audit verify --checkpoint FILE` \
                later proves the log still extends it. The format (events/README.md, "Signed checkpoints") \
                can be checked with any Ed25519 tool.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("Ed25519 private key (PKCS#8 PEM, from audit keygen or openssl genpkey -algorithm ed25519).", valueName: "file"))
        var key: String
        @Option(help: ArgumentHelp("Also write the checkpoint here.", valueName: "file")) var out: String?

        func run() async throws {
            guard let pem = try? String(contentsOfFile: key, encoding: .utf8) else {
                throw CLIFailure(message: "--key: cannot read \(key)", exitCode: 2)
            }
            let signing: SigningKey
            do { signing = try SigningKey(pem: pem) } catch { throw CLIFailure(message: "--key: \(error)", exitCode: 2) }
            let s = try store.open()
            defer { s.close() }
            let checkpoint: EventLog.Checkpoint
            do {
                checkpoint = try await EventLog.Checkpoint.make(store: s, key: signing)!
            } catch let e as EventLog.Checkpoint.MakeProblem {
                throw CLIFailure(message: e.description, exitCode: 2)
            }
            if let out { try Data(checkpoint.fileText.utf8).write(to: URL(fileURLWithPath: out)) }
            print(checkpoint.fileText, terminator: "")
        }
    }
}
