import ArgumentParser
import Domain
import Foundation
import Server

/// `presidio catalog write|check`: keeps `events/schemas/` equal to the Swift declarations.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "The event catalogue (events/): JSON Schemas generated from the Swift event types.",
        subcommands: [Write.self, List.self])

    struct Write: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write events/schemas/*.schema.json from the Swift event types, and events/openapi.json.")
        @Option(help: "The catalogue folder.") var dir: String = "events"

        func run() async throws {
            let folder = dir + "/schemas"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for e in Catalog.entries {
                try Catalog.jsonSchemaText(e).write(toFile: "\(folder)/\(e.versionedName).schema.json", atomically: true, encoding: .utf8)
            }
            try OpenAPIDocument.text.write(toFile: "\(dir)/openapi.json", atomically: true, encoding: .utf8)
            print("wrote \(Catalog.entries.count) schemas to \(folder) and the API's OpenAPI document to \(dir)/openapi.json")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List event types, versions and submit kinds (Markdown table).")
        func run() async throws {
            print("| event type | version | stream | submit kind | what |")
            print("|---|---|---|---|---|")
            for e in Catalog.entries {
                print("| `\(e.eventType)` | \(e.schemaVersion) | `\(e.type.category.rawValue)-…` | `\(e.kind)` | \(e.type.summary) |")
            }
        }
    }
}
