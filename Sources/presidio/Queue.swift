import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prioritised queues (through the server when one runs).", subcommands: [Safety.self, Inspection.self, Overdue.self])

    /// `--today`, `--limit`, `--json`, shared by the queue views.
    struct ViewOptions: ParsableArguments {
        @Option(help: "Day the view is computed for (YYYY-MM-DD; default today).") var today: String?
        @Option(help: "At most this many entries.") var limit: Int = 30
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let today, DomainTime.date(today) == nil { throw ValidationError("--today: must be YYYY-MM-DD (got '\(today)')") }
            if limit < 1 || limit > 5000 { throw ValidationError("--limit: must be from 1 to 5000") }
        }
        var day: Date { today.flatMap(DomainTime.date) ?? Date() }
    }

    struct Remote<T: Decodable>: Decodable {
        var ruleSet: String
        var entries: [T]
    }

    /// The queue's entries and rule-set label: from the server, or computed from the store.
    static func load<T: Decodable>(
        _ name: String, _ options: ProjectionOptions, _ remote: RemoteOptions, _ view: ViewOptions, local: (ReadModel) -> ([T], String)
    ) async throws -> ([T], String) {
        if let client = remote.client(options.store) {
            var q = [("limit", String(view.limit))]
            if let t = view.today { q.append(("today", t)) }
            let r = try JSONDecoder().decode(Remote<T>.self, from: try await client.get("/v1/queues/\(name)", query: q))
            return (r.entries, r.ruleSet)
        }
        let (all, label) = local(try await options.readModel())
        return (Array(all.prefix(view.limit)), label)
    }

    struct Overdue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bridges whose periodic inspection is past due (frequency per class from the rule set).")
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (rows, label): ([OverdueInspection], String) = try await Queue.load("overdue", options, remote, view) { m in
                (m.overdueInspections(today: view.day), m.bridgeProjection.ruleSet.label)
            }
            if view.json { return try printJSON(rows) }
            print("BRIDGE  CdA          LAST INSP.  DUE         DAYS OVERDUE  NAME")
            for o in rows {
                print(
                    o.bridgeId + "  " + (o.overall ?? "n/c").padded(11) + "  " + (o.lastInspection ?? "never     ")
                        + "  " + (o.due ?? "-") + String(format: "  %12d  ", o.daysOverdue) + o.name
                        + (o.step == "periodic inspection" ? "" : " (\(o.step))"))
            }
            print("\(rows.count) bridges shown; rule set \(label) (frequencies advisory)")
        }
    }

    struct Safety: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bridges that need a Level 3/4 safety assessment, most urgent first, with why.", discussion: Glossary.bridges)
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (queue, label): ([SafetyQueueEntry], String) = try await Queue.load("safety", options, remote, view) { m in
                (m.safetyQueue(today: view.day), m.bridgeProjection.ruleSet.label)
            }
            if view.json { return try printJSON(queue) }
            print("RANK  BRIDGE  CdA          DEFECTS      NEXT STEP             DUE         WHY")
            for e in queue {
                print(
                    String(format: "%4d  ", e.rank) + e.bridgeId + "  " + (e.overall + (e.provisional ? "*" : "")).padded(11) + "  "
                        + e.defectLevel.padded(11) + "  " + e.step.padded(20)
                        + "  " + (e.due ?? "-").padded(10) + (e.overdue ? "!" : " ") + " " + e.reasons.joined(separator: "; "))
            }
            print("rule set \(label) (advisory: LG tables to be verified against the official text); ! = overdue; * = provisional class")
        }
    }

    struct Inspection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Waste-site inspection queue, with the reasons for each place.", discussion: Glossary.wasteSites)
        @OptionGroup var options: ProjectionOptions
        @OptionGroup var remote: RemoteOptions
        @OptionGroup var view: ViewOptions

        func run() async throws {
            let (queue, label): ([InspectionQueueEntry], String) = try await Queue.load("inspection", options, remote, view) { m in
                (m.inspectionQueue(today: view.day), m.wasteSiteProjection.ruleSet.label)
            }
            if view.json { return try printJSON(queue) }
            print("RANK  SITE     GRADE  SCORE   LAST INSP.  MUNICIPALITY          WHY")
            for e in queue {
                print(
                    String(format: "%4d  ", e.rank) + e.siteId + "   " + e.hazardGrade.padded(5) + String(format: "  %6.2f  ", e.score)
                        + (e.lastInspection ?? "never     ") + "  " + e.municipality.padded(20) + "  " + e.reasons.joined(separator: "; "))
            }
            print("rule set \(label)\(queue.first?.advisory == true ? " (advisory: weights and frequencies not yet verified)" : "")")
        }
    }
}
