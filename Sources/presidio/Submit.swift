import ArgumentParser
import Domain
import EventLog
import Foundation

/// `presidio submit KIND FILE|-`: the same validation and append path as the API.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a submission (one JSON object, or an array for an atomic batch) and append it.",
        discussion: "KIND is one of:\n" + Catalogue.entries.map { "  \($0.kind.padded(26)) → \($0.eventType)" }
            .joined(separator: "\n")
            + "\n\nOn problems, prints {\"problems\":[{\"path\",\"code\",\"message\"}…]} on stderr and exits with status 2; nothing is appended.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "Submission kind (see below).") var kind: String
    @Argument(help: "JSON file, or - for stdin.") var file: String = "-"
    @Option(help: "Who submits it.") var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "cli"
    @Option(help: "Submission id (UUID): retrying the same submission appends nothing twice.") var submissionId: String?

    func validate() throws {
        if Catalogue.entry(kind: kind) == nil {
            throw ValidationError("unknown kind '\(kind)'; one of: \(Catalogue.entries.map(\.kind).joined(separator: ", "))")
        }
        if let submissionId, UUID(uuidString: submissionId) == nil { throw ValidationError("--submission-id must be a UUID") }
    }

    func run() async throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: file) else { throw CLIFailure(message: "cannot read \(file)", exitCode: 2) }
            data = d
        }
        let s = try store.open()
        defer { s.close() }
        do {
            let result = try await Submitter(store: s).submit(
                kind: kind, json: data, actor: actor, submissionId: submissionId.flatMap(UUID.init(uuidString:)))
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } catch let failure as ValidationFailure {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = String(decoding: try enc.encode(["problems": failure.problems]), as: UTF8.self)
            FileHandle.standardError.write(Data((body + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
