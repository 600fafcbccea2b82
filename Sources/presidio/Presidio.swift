import ArgumentParser
import EventLog
import Foundation

@main
struct Presidio: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presidio",
        abstract: "Event-sourced monitoring of the Città metropolitana di Milano's bridges, school meters and waste sites.",
        discussion: Glossary.text,
        version: "0.1.0",
        subcommands: [
            Serve.self, Dash.self, Tokens.self, Log.self, Submit.self, DemoData.self, ProjectionsCommand.self, Alerts.self, Queue.self, Asset.self,
            Audit.self,
            BackupCommand.self, RestoreCommand.self, Db.self, CatalogCommand.self, Bench.self, Debug.self,
        ]
    )

    /// Every failure becomes one line on stderr and a non-zero exit, never a crash trace.
    static func main() async {
        ProcessEnvironment.apply()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            usageFailure(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let e as EventStoreError {
            // One line (libpq's messages have a second, indented one); bad arguments exit 2
            // like every other bad input.
            printError(e.description.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
            // Damage found in the log: 3, as `audit verify` says it.
            Foundation.exit(e.code == .invalidArgument || e.code == .invalidEvent ? 2 : e.code == .corruption ? 3 : 1)
        } catch let e as CLIFailure {
            printError(e.message)
            Foundation.exit(e.exitCode)
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch {
            // ArgumentParser's own errors (help asked for inside a command, a usage check after
            // parsing) are recognised through its API, never by their type names.
            switch exitCode(for: error) {
            case .success: exit(withError: error)
            case .validationFailure: usageFailure(error)
            default:
                // Anything else is still one line, never a trace.
                printError("\(error)".replacingOccurrences(of: "\n", with: " "))
                Foundation.exit(1)
            }
        }
    }
}

extension Presidio {
    /// Help and --version print as ArgumentParser prints them (status 0); a usage error is one
    /// line on stderr with status 2, like every other bad input.
    static func usageFailure(_ error: any Error) -> Never {
        if exitCode(for: error) == .success { exit(withError: error) }
        let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "bad usage"
        let cleaned = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
        printError("\(cleaned) (see presidio --help)")
        Foundation.exit(2)
    }
}

/// A failure the CLI reports as a single line with a chosen exit status.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1
    var description: String { message }
}

/// One line on stderr, always: line breaks and other invisible characters that came from the
/// input (an id ending in U+2028) are shown escaped, so a message cannot forge a second line.
func printError(_ message: String) {
    var line = ""
    for u in message.unicodeScalars {
        if u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029 {
            line += u == "\t" ? " " : "\\u{\(String(u.value, radix: 16))}"
        } else {
            line.unicodeScalars.append(u)
        }
    }
    FileHandle.standardError.write(Data("presidio: \(line)\n".utf8))
}

/// Writes to stdout through a buffer (NDJSON output can be millions of lines).
struct StdoutWriter {
    private var buffer: [UInt8] = []

    mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
