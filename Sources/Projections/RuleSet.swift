import Crypto
import Domain
import EventLog
import Foundation
import Synchronization

/// Which rule set a projection applies: name and version, and which of its rules are not yet
/// verified against the official sources (shown as advisory wherever their result is shown).
public struct RuleSetInfo: Codable, Sendable, Hashable {
    public var name: String
    public var version: Int
    public var advisory: [String]
    public var label: String { "\(name)/v\(version)" }
}

public struct RuleSetError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var problems: [String]
    public var description: String { "rule set \(file): " + problems.joined(separator: "; ") }
}

/// Loads `projections/<name>/v<version>.json`, read at run time (never compiled in).
public enum RuleSetLoader {
    /// The rules folder given by the embedding program (the CLI: `--rules` or `$PRESIDIO_RULES`);
    /// the library reads no environment variables.
    static let configured = Mutex<String?>(nil)
    public static func configure(directory: String?) { configured.withLock { $0 = directory } }

    /// The rules folder: the configured one, else `./projections` when it holds rule sets,
    /// else the `projections/` of the checkout the running binary was built in (found by
    /// walking up from the executable), so commands work from any directory.
    public static var defaultDirectory: String {
        if let dir = configured.withLock({ $0 }), !dir.isEmpty { return dir }
        func holdsRules(_ dir: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/bridges/v1.json") }
        if holdsRules("projections") { return "projections" }
        var url = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = url.appendingPathComponent("projections").path
            if holdsRules(candidate) { return candidate }
            url = url.deletingLastPathComponent()
        }
        return "projections"
    }

    /// The highest version present for `name`.
    public static func latestVersion(_ name: String, directory: String = defaultDirectory) throws -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(name)")) ?? []
        let versions = files.compactMap { f -> Int? in
            guard f.hasPrefix("v"), f.hasSuffix(".json") else { return nil }
            return Int(f.dropFirst().dropLast(5))
        }
        guard let v = versions.max() else {
            throw RuleSetError(file: "\(directory)/\(name)", problems: ["no v<N>.json rule file (set PRESIDIO_RULES to the projections/ folder)"])
        }
        return v
    }

    public static func load<R: Decodable & ValidatedRules>(_ type: R.Type, name: String, version: Int? = nil, directory: String = defaultDirectory)
        throws -> R
    {
        let v = try version ?? latestVersion(name, directory: directory)
        let path = "\(directory)/\(name)/v\(v).json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleSetError(file: path, problems: ["cannot be read"])
        }
        let rules: R
        do {
            rules = try JSONDecoder().decode(R.self, from: data)
        } catch let e as DecodingError {
            throw RuleSetError(file: path, problems: [describe(e)])
        }
        var problems = rules.problems()
        if rules.info.name != name { problems.append("ruleSet: must be '\(name)' (got '\(rules.info.name)')") }
        if rules.info.version != v { problems.append("version: must be \(v) as in the file name (got \(rules.info.version))") }
        if !problems.isEmpty { throw RuleSetError(file: path, problems: problems) }
        return rules
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, let c): return "\((c.codingPath + [k]).map(\.stringValue).joined(separator: ".")): is required"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// One rule file as loaded: where, which version, and the SHA-256 of its bytes (recorded in
/// snapshots and in every audit output, so what decided a result can be proved).
public struct RuleFile: Codable, Sendable, Hashable {
    public var name: String
    public var version: Int
    public var path: String
    public var sha256: String

    public var label: String { "\(name)/v\(version)" }

    public init(name: String, version: Int? = nil, directory: String = RuleSetLoader.defaultDirectory) throws {
        let v = try version ?? RuleSetLoader.latestVersion(name, directory: directory)
        let path = "\(directory)/\(name)/v\(v).json"
        guard let data = FileManager.default.contents(atPath: path) else { throw RuleSetError(file: path, problems: ["cannot be read"]) }
        self.name = name
        self.version = v
        self.path = path
        sha256 = Data(SHA256.hash(data: data)).hex
    }
}

/// A rule file that checks itself after decoding.
public protocol ValidatedRules {
    var info: RuleSetInfo { get }
    /// Every problem, as `field: reason`.
    func problems() -> [String]
}
