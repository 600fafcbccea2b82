/// One thing wrong with a submission: where, what kind, and a sentence for the inspector.
///
/// `path` uses the JSON shape of the submission (`defects[3].k1`), so a tablet app can put the
/// message next to the right field.
public struct Problem: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var code: Code
    public var message: String

    public enum Code: String, Sendable, Codable, Hashable {
        case required, type, unknownField, enumeration, range, pattern, length, format, count
        case future, beforeAsset, notFound, alreadyExists, inconsistent, decreasing, outsideArea, duplicate
    }

    public init(_ path: String, _ code: Code, _ message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String { "\(path.isEmpty ? "(submission)" : path): \(message)" }
}

/// Thrown when a submission has problems; carries every one of them, never just the first.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var problems: [Problem]
    public init(_ problems: [Problem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "; ") }
}

/// Joins JSON paths: `defects` + 3 → `defects[3]`, `defects[3]` + `k1` → `defects[3].k1`.
enum Path {
    static func field(_ base: String, _ name: String) -> String { base.isEmpty ? name : "\(base).\(name)" }
    static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
}
