import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

/// Options shared by the projection commands: where the rules and snapshots are.
struct ProjectionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(
        help: ArgumentHelp(
            "Rule-set folder (default: $PRESIDIO_RULES, ./projections, or the one beside the presidio binary's checkout).", valueName: "dir"))
    var rules: String?

    var rulesDirectory: String { rules ?? RuleSetLoader.defaultDirectory }

    /// Every projection over `s`, resuming from (and, for workers, saving) the snapshots.
    func projectionSet(_ s: any EventStore) throws -> ProjectionSet {
        try ProjectionSet(store: s, rulesDirectory: rulesDirectory, snapshots: try store.resolved.snapshots(for: s))
    }

    /// The read model now, computed without writing anything: resumes from the snapshots and
    /// applies what follows in memory (reading never writes; only the workers save snapshots).
    func readModel() async throws -> ReadModel {
        let s = try store.open(readOnly: true)
        defer { s.close() }
        let set = try projectionSet(s)
        try await set.restore()
        try await set.catchUp()
        return set.readModel()
    }
}

/// `--url` / `--token`: talk to a running server instead of opening the store.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A running presidio serve (default: $PRESIDIO_URL, or the server holding the data folder).", valueName: "url"))
    var url: String?
    @Option(help: ArgumentHelp("Bearer token for --url (default: $PRESIDIO_TOKEN).", valueName: "token")) var token: String?

    /// The client to use, if a server is to be used: `--url`, `$PRESIDIO_URL`, or the server
    /// that holds the embedded folder (with its local token unless one is given).
    func client(_ store: StoreOptions, actor: String? = nil) -> PresidioClient? {
        let env = ProcessInfo.processInfo.environment
        let tok = token ?? env["PRESIDIO_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let u = url ?? env["PRESIDIO_URL"].flatMap({ $0.isEmpty ? nil : $0 }) { return PresidioClient(baseURL: u, token: tok, actor: actor) }
        if let s = store.server { return PresidioClient(baseURL: s.url, token: tok ?? s.localToken, actor: actor) }
        return nil
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    print(String(decoding: try enc.encode(value), as: UTF8.self))
}

func printRawJSON(_ data: Data) {
    if let obj = try? JSONSerialization.jsonObject(with: data),
        let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    {
        print(String(decoding: pretty, as: UTF8.self))
    } else {
        print(String(decoding: data, as: UTF8.self))
    }
}

extension String {
    /// This string cut or padded with spaces to `width` characters: one column of a table.
    func padded(_ width: Int) -> String { padding(toLength: width, withPad: " ", startingAt: 0) }
}
