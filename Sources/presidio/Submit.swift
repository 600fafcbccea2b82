import ArgumentParser
import Domain
import EventLog
import Foundation
import Server

/// `presidio submit KIND FILE|-`: the same validation and append path as the API.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a submission (one JSON object, or an array for an atomic batch) and append it.",
        discussion: "KIND is one of:\n"
            + Catalog.entries.map { "  \($0.kind.padded(26)) → \($0.eventType)" }
            .joined(separator: "\n")
            + "\n\nOn problems, prints {\"problems\":[{\"path\",\"code\",\"message\"}…]} on stderr and exits with status 2; nothing is appended.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Submission kind (see below).") var kind: String
    @Argument(help: "JSON file, or - for stdin.") var file: String = "-"
    @Option(help: "Who submits it.") var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "cli"
    @Option(help: "Submission id (UUID): retrying the same submission appends nothing twice.") var submissionId: String?

    func validate() throws {
        if Catalog.entry(kind: kind) == nil {
            throw ValidationError("unknown kind '\(kind)'; one of: \(Catalog.entries.map(\.kind).joined(separator: ", "))")
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
        if let client = remote.client(store, actor: actor) {
            return try await submitRemotely(client, data)
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

    /// Through the running server: the same validation, durable before the answer.
    func submitRemotely(_ client: PresidioClient, _ data: Data) async throws {
        var headers: [(String, String)] = []
        if let submissionId { headers.append(("Idempotency-Key", submissionId.lowercased())) }
        let r = try await client.send("POST", "/v1/submissions/\(kind)", body: data, headers: headers)
        if r.ok {
            printRawJSONLine(r.body)
            return
        }
        let obj = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        if let problems = obj?["problems"] as? [[String: Any]], r.status == 422 || r.status == 400 {
            let d = try JSONSerialization.data(withJSONObject: ["problems": problems], options: [.sortedKeys, .withoutEscapingSlashes])
            FileHandle.standardError.write(d + Data("\n".utf8))
            throw ExitCode(2)
        }
        throw CLIFailure(message: PresidioClient.failure(r).description, exitCode: r.status == 400 || r.status == 422 ? 2 : 1)
    }
}

func printRawJSONLine(_ data: Data) {
    if let obj = try? JSONSerialization.jsonObject(with: data),
        let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
    {
        print(String(decoding: d, as: UTF8.self))
    } else {
        print(String(decoding: data, as: UTF8.self))
    }
}
