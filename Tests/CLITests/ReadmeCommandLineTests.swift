import ArgumentParser
import Foundation
@testable import presidio
import Testing

/// Every command line the README shows parses (`parseAsRoot`, options validated), in each of
/// its spelled-out alternatives: the README cannot drift from the CLI unnoticed.
@Suite("README command lines")
struct ReadmeCommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Values for the README's placeholders.
    static let samples: [String: String] = [
        "DIR": "/tmp/presidio-readme", "STORE": "/tmp/presidio-readme", "PRINCIPAL": "ing. Rossi", "UUID": "0b6b9a52-3f0e-4c1e-9d43-5b0e7a1d2c3f",
        "N": "10", "P": "1", "S": "bridge-MI0001", "C": "bridge", "ID": "tok1", "NAME": "tok1", "POSITION": "5", "RFC3339": "2026-01-01T00:00:00Z",
        "YYYY-MM-DD": "2026-01-01", "postgres://…": "postgres://presidio@127.0.0.1:5432/presidio",
    ]

    /// The `presidio …` lines of the README's code blocks, comments cut, pipes split.
    static func lines() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var inBlock = false
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw.hasPrefix("```") { inBlock.toggle(); continue }
            guard inBlock else { continue }
            let line = raw.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            // A shell pipe into another presidio command, not a `[a | b]` alternative.
            for part in line.components(separatedBy: " | presidio ").enumerated().map({ $0.offset == 0 ? $0.element : "presidio " + $0.element }) {
                let p = part.trimmingCharacters(in: .whitespaces)
                if p.hasPrefix("presidio ") { out.append(p) }
            }
        }
        return out
    }

    /// Tokens of a line: quoted strings kept whole, `[…]` groups as one token.
    static func tokens(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var depth = 0
        var quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == "[" { depth += 1 }
            if ch == "]" { depth -= 1 }
            if ch == " " && depth == 0 && !quoted {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Every spelled-out variant: no optional group, then each optional group and each
    /// alternative once.
    static func variants(_ line: String) -> [[String]] {
        let toks = tokens(line).filter { $0 != "…" }
        func alternatives(_ t: String) -> [String] {
            if t.hasPrefix("[") { return [] }
            if t.contains("://") { return [t] }
            return t.split(separator: "|").map(String.init)
        }
        func fill(_ t: String) -> [String] {
            if t.hasPrefix("[") {
                let inner = String(t.dropFirst().dropLast())
                return inner.components(separatedBy: " | ").flatMap { alt in tokens(alt).flatMap(fill) }
            }
            return [samples[t] ?? t]
        }
        let base = toks.map { t -> [String] in t.hasPrefix("[") ? [] : fill(alternatives(t).first ?? t) }
        var out = [base.flatMap { $0 }]
        for (k, t) in toks.enumerated() {
            if t.hasPrefix("[") {
                let inner = String(t.dropFirst().dropLast())
                for alt in inner.components(separatedBy: " | ") {
                    var v = base
                    v[k] = tokens(alt).flatMap { a in alternatives(a).prefix(1).flatMap(fill) }
                    out.append(v.flatMap { $0 })
                    for (j, a) in tokens(alt).enumerated() where alternatives(a).count > 1 {
                        for choice in alternatives(a).dropFirst() {
                            var w = tokens(alt).map { x in alternatives(x).first.map { samples[$0] ?? $0 } ?? x }
                            w[j] = samples[choice] ?? choice
                            var v2 = base
                            v2[k] = w
                            out.append(v2.flatMap { $0 })
                        }
                    }
                }
            } else if alternatives(t).count > 1 {
                for choice in alternatives(t).dropFirst() {
                    var v = base
                    v[k] = [samples[choice] ?? choice]
                    out.append(v.flatMap { $0 })
                }
            }
        }
        return out.map { Array($0.dropFirst()) }
    }

    @Test func everyReadmeCommandLineParses() throws {
        let lines = try Self.lines()
        #expect(lines.count >= 20)
        var parsed = 0
        for line in lines {
            for args in Self.variants(line) {
                do {
                    _ = try Presidio.parseAsRoot(args)
                    parsed += 1
                } catch {
                    if Presidio.exitCode(for: error) == .success { parsed += 1; continue }  // --help
                    Issue.record("README: `\(line)` → \(args): \(Presidio.message(for: error))")
                }
            }
        }
        #expect(parsed > lines.count)
    }

    @Test func unknownOptionsAndValuesAreRefused() {
        for args in [
            ["alerts", "--state", "open"], ["queue", "safety", "--bogus"], ["projections", "rebuild", "bridge"], ["log", "read", "--from", "x"],
        ] {
            #expect(throws: (any Error).self, "\(args)") { _ = try Presidio.parseAsRoot(args) }
        }
    }
}
