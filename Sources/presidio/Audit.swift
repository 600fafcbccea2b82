import ArgumentParser
import EventLog
import Foundation

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove the log's integrity.",
        subcommands: [Verify.self, Keygen.self, Checkpoint.self, History.self, Replay.self, Diff.self, Report.self, Redact.self])
}

extension Audit {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC and the whole hash chain, changing nothing.",
            discussion: """
                Exit status: 0 the log is intact; 3 damage inside the log (a CRC, the chain, a gap); \
                4 the committed log checks out but the bytes after its last commit do not (a torn write \
                not yet quarantined, or damage at the tail: see `presidio log repair`); 5 the log checks \
                out but does not extend a given --checkpoint (a truncated tail, a rewritten past, another \
                log, a bad signature). Repairs the log recorded (LogRepaired) are listed either way.
                """)
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false
        @Option(
            name: .customLong("checkpoint"),
            help: ArgumentHelp("A signed checkpoint the log must still extend (repeatable).", valueName: "file"))
        var checkpoints: [String] = []
        @Option(help: ArgumentHelp("Accept checkpoints signed by this key only (PEM public key).", valueName: "file"))
        var publicKey: String?

        struct Output: Encodable {
            var report: VerifyReport
            var repairs: [LogRepair]
            var redactions: [LogRedaction]
            var checkpoints: [CheckpointResult]
        }

        struct CheckpointResult: Encodable {
            var file: String
            var position: UInt64?
            var proved: Bool
            var problem: String?
        }

        func run() async throws {
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let started = Date()
            let report = try await s.verify()
            let secs = Date().timeIntervalSince(started)
            let repairs = try await LogRepair.recorded(in: s)
            let redactions = try await LogRedaction.recorded(in: s)
            let proofs = try await proveCheckpoints(in: s)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(
                    String(
                        decoding: try enc.encode(Output(report: report, repairs: repairs, redactions: redactions, checkpoints: proofs)), as: UTF8.self
                    ))
            } else {
                if report.intact {
                    print(
                        "intact: \(report.eventsChecked) events, head \(report.headPosition), head hash \(report.headHash) (\(String(format: "%.2f", secs)) s)"
                    )
                } else if let tail = report.tail, !tail.validBlocksFollow {
                    print("DAMAGED TAIL: \(tail.description) (\(report.eventsChecked) committed events verified before it)")
                } else {
                    var where_ = "position \(report.firstBadPosition ?? 0)"
                    // (Damage with valid blocks after it, found by the open's scan, is told here too.)
                    if let seg = report.segment { where_ += ", segment \(seg)" }
                    if let off = report.offset { where_ += ", offset \(off)" }
                    print("BROKEN at \(where_): \(report.problem ?? "?") (\(report.eventsChecked) events verified before it)")
                }
                for r in repairs {
                    var line =
                        "repaired \(r.repairedAt): \(r.kind), \(r.bytes) bytes of \(r.segment) at offset \(r.offset) after position \(r.lastKeptPosition)"
                    if r.missingPositions > 0 { line += ", \(r.missingPositions) acknowledged positions missing" }
                    print(line + " → \(r.quarantine) (sha256 \(r.sha256.prefix(16))…): \(r.reason)")
                }
                for r in redactions {
                    let pending = report.pendingRedactions?.contains(r.position) ?? false
                    print(
                        "redacted \(r.redactedAt) by \(r.redactedBy): \(r.fields.joined(separator: ", ")) of \(r.type) at position \(r.position)"
                            + " (original sha256 \(r.sha256.prefix(16))…): \(r.reason)"
                            + (pending ? " — NOT YET APPLIED: run presidio audit redact \(r.position) again" : ""))
                }
                for p in proofs {
                    if p.proved {
                        print("checkpoint \(p.file): the log extends position \(p.position ?? 0)")
                    } else {
                        print("CHECKPOINT FAILS \(p.file): \(p.problem ?? "?")")
                    }
                }
            }
            if !report.intact { throw ExitCode(report.tail.map { $0.validBlocksFollow ? 3 : 4 } ?? 3) }
            if proofs.contains(where: { !$0.proved }) { throw ExitCode(5) }
        }

        func proveCheckpoints(in store: any EventStore) async throws -> [CheckpointResult] {
            var expected: String?
            if let publicKey {
                guard let pem = try? String(contentsOfFile: publicKey, encoding: .utf8) else {
                    throw CLIFailure(message: "--public-key: cannot read \(publicKey)", exitCode: 2)
                }
                expected = pem
            }
            var out: [CheckpointResult] = []
            for file in checkpoints {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIFailure(message: "--checkpoint: cannot read \(file)", exitCode: 2)
                }
                guard let c = try? JSONDecoder().decode(EventLog.Checkpoint.self, from: data) else {
                    out.append(
                        CheckpointResult(
                            file: file, position: nil, proved: false, problem: "not a Presidio checkpoint (JSON with the fields of events/README.md)")
                    )
                    continue
                }
                let problem = try await c.proof(in: store, expectedKey: expected)
                out.append(CheckpointResult(file: file, position: c.position, proved: problem == nil, problem: problem))
            }
            return out
        }
    }
}
