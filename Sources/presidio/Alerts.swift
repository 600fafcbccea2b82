import ArgumentParser
import Domain
import EventLog
import Foundation
import Projections
import Server

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Alerts from every projection (human table, or --json); through the server when one runs.")
    @OptionGroup var options: ProjectionOptions
    @OptionGroup var remote: RemoteOptions
    @Option(help: "firing or resolved.") var state: String?
    @Option(help: "Asset domain (stream category), e.g. wastesite.") var domain: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let state, AlertRecord.State(rawValue: state) == nil { throw ValidationError("--state: must be firing or resolved") }
        if let domain, AssetID.Domain(rawValue: domain) == nil {
            throw ValidationError("--domain: must be one of \(AssetID.Domain.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var alerts: [AlertRecord]
        if let client = remote.client(options.store) {
            var q: [(String, String)] = []
            if let state { q.append(("state", state)) }
            if let domain { q.append(("domain", domain)) }
            alerts = try await client.allPages("/v1/alerts", query: q, of: AlertRecord.self)
        } else {
            alerts = try await options.readModel().alerts
                .filter { a in state.map { a.state.rawValue == $0 } ?? true }
                .filter { a in domain.map { a.asset.hasPrefix($0 + "-") } ?? true }
        }
        if json { return try printJSON(alerts) }
        print("STATE     SEV       RAISED      ASSET               RULE                                   EVIDENCE")
        for a in alerts {
            let sev = a.severity.rawValue.uppercased() + (a.advisory ? "*" : "")
            print(
                a.state.rawValue.padded(9) + " " + sev.padded(9) + " "
                    + a.raisedOn + "  " + a.asset.padded(19) + " " + a.rule.padded(38)
                    + " " + String(a.evidence.prefix(80)))
        }
        print(
            "\(alerts.count) alerts; * = advisory rule (not yet verified against the official sources); rule sets: \(Set(alerts.map(\.ruleSet)).sorted().joined(separator: ", "))"
        )
    }
}
