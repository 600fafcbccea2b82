import EventLog
import Foundation

extension AuditReport {
    public enum Format: String, Sendable, CaseIterable { case md, csv, json }

    public func rendered(_ format: Format) -> String {
        switch format {
        case .json:
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self) + "\n"
        case .md: return markdown
        case .csv: return csv
        }
    }

    private var verificationLine: String {
        guard let v = verification else { return "not run" }
        if v.intact { return "intact: \(v.eventsChecked) events, head \(v.headPosition), head hash \(v.headHash)" }
        return "NOT INTACT at position \(v.firstBadPosition ?? 0): \(v.problem ?? "?")"
    }

    private func hours(_ h: Double?) -> String { h.map { String(format: "%.2f h", $0) } ?? "–" }

    var markdown: String {
        var out = "# Presidio audit report\n\nPeriod (recorded time): \(from) to \(to); \(eventsInPeriod) events recorded.\n\n"
        out += "Verification of the whole log: \(verificationLine).\n\n"
        out += "## Submissions per actor and kind\n\n| actor | event type | count |\n|---|---|---:|\n"
        for s in submissions { out += "| \(cell(s.actor)) | \(s.type) | \(s.count) |\n" }
        if submissions.isEmpty { out += "| – | – | 0 |\n" }
        let a = alerts
        out += "\n## Alerts\n\n| figure | value |\n|---|---:|\n"
        out += "| raised | \(a.raised) (\(a.raisedBySeverity.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))) |\n"
        out += "| acknowledged | \(a.acknowledged) |\n| resolved by the projection (condition cleared) | \(a.resolvedByProjection) |\n"
        out += "| resolved by a person | \(a.resolvedByPerson) |\n| escalated | \(a.escalated) |\n| reopened | \(a.reopened) |\n"
        out +=
            "| median time to first acknowledgement | \(hours(a.hoursToAcknowledgeMedian)) |\n| median time to resolution | \(hours(a.hoursToResolveMedian)) |\n"
        out += "\n## Rule sets\n\nIn force now: \(ruleFiles.map { "\($0.ruleSet) (sha256 \($0.sha256.prefix(16))…)" }.joined(separator: ", ")).\n"
        out +=
            "First used in the period: \(ruleSetsFirstSeenInPeriod.isEmpty ? "none" : ruleSetsFirstSeenInPeriod.map { "\($0.ruleSet) at position \($0.firstPosition) (\($0.firstRecordedAt))" }.joined(separator: ", ")).\n"
        out += "\n## Repairs and redactions\n\n"
        if repairs.isEmpty { out += "No repairs recorded in the period.\n" }
        for r in repairs {
            out +=
                "- \(r.repairedAt): \(r.kind), \(r.bytes) bytes of \(r.segment) at offset \(r.offset) after position \(r.lastKeptPosition) → \(r.quarantine) (sha256 \(r.sha256)): \(r.reason)\n"
        }
        if redactions.isEmpty { out += "No redactions recorded in the period.\n" }
        for r in redactions {
            out +=
                "- \(r.redactedAt): \(cell(r.redactedBy)) redacted \(r.fields.joined(separator: ", ")) of \(r.type) at position \(r.position) (\(r.stream); original sha256 \(r.sha256)): \(cell(r.reason))\n"
        }
        let c = checkpoints
        out +=
            "\n## Checkpoints\n\n\(c.inPeriod) signed checkpoints recorded in the period; the newest covers position \(c.lastCheckpointPosition.map(String.init) ?? "none"); "
        out += "\(c.uncoveredPositions) positions up to \(c.lastPositionInPeriod) are not yet covered by one.\n"
        return out
    }

    private func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    var csv: String {
        var rows: [[String]] = [["section", "key", "detail", "value"]]
        rows.append(["period", "from", "", from])
        rows.append(["period", "to", "", to])
        rows.append(["period", "events", "", String(eventsInPeriod)])
        for s in submissions { rows.append(["submissions", s.actor, s.type, String(s.count)]) }
        let a = alerts
        rows.append(["alerts", "raised", "", String(a.raised)])
        for (k, v) in a.raisedBySeverity.sorted(by: { $0.key < $1.key }) { rows.append(["alerts", "raised", k, String(v)]) }
        rows += [
            ["alerts", "acknowledged", "", String(a.acknowledged)], ["alerts", "resolvedByProjection", "", String(a.resolvedByProjection)],
            ["alerts", "resolvedByPerson", "", String(a.resolvedByPerson)], ["alerts", "escalated", "", String(a.escalated)],
            ["alerts", "reopened", "", String(a.reopened)],
            ["alerts", "hoursToAcknowledgeMedian", "", a.hoursToAcknowledgeMedian.map { String($0) } ?? ""],
            ["alerts", "hoursToResolveMedian", "", a.hoursToResolveMedian.map { String($0) } ?? ""],
        ]
        for f in ruleFiles { rows.append(["ruleFiles", f.ruleSet, "sha256", f.sha256]) }
        for s in ruleSetsFirstSeenInPeriod { rows.append(["ruleSetFirstSeen", s.ruleSet, s.firstRecordedAt, String(s.firstPosition)]) }
        for r in repairs { rows.append(["repairs", r.segment, "\(r.kind) offset \(r.offset) sha256 \(r.sha256)", String(r.bytes)]) }
        for r in redactions {
            rows.append([
                "redactions", String(r.position), "\(r.type) \(r.fields.joined(separator: " ")) by \(r.redactedBy): \(r.reason)", r.redactedAt,
            ])
        }
        rows.append(["checkpoints", "inPeriod", "", String(checkpoints.inPeriod)])
        rows.append(["checkpoints", "lastCheckpointPosition", "", checkpoints.lastCheckpointPosition.map(String.init) ?? ""])
        rows.append(["checkpoints", "uncoveredPositions", "", String(checkpoints.uncoveredPositions)])
        rows.append(["verification", verification?.intact == true ? "intact" : "not intact", "", verificationLine])
        return rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    static func csvField(_ s: String) -> String {
        // A leading = + - @ would be a formula to a spreadsheet: quoted and prefixed.
        var v = s
        if let f = v.first, "=+-@".contains(f) { v = "'" + v }
        guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || v != s else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
