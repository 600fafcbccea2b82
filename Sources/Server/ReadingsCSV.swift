import Domain
import Foundation
import HTTPTypes

/// Meter readings as gateways export them: a CSV with a header naming `meterId`,
/// `observedAt` (or `timestamp`), `value` and optionally `intervalMinutes`, one reading a row,
/// in any order. Rows of one meter become `MeterReadingsRecorded` runs: sorted by time,
/// missing intervals as nulls (an empty value too), a new run after a gap longer than a day or
/// after 2,976 readings. Problems name the line and column.
enum ReadingsCSV {
    struct Row {
        var line: Int
        var meterId: String
        var at: Date
        var text: String
        var value: Double?
        var interval: Int
    }

    static func json(_ body: Data, defaultInterval: Int?) throws -> Data {
        guard let text = String(data: body, encoding: .utf8) else { throw APIProblem.badRequest("body", "must be UTF-8 text") }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let header = lines.first else {
            throw APIProblem.badRequest("body", "is empty: expected a header line meterId,observedAt,value", code: .count)
        }
        let cols = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func col(_ names: String...) -> Int? { cols.firstIndex { names.contains($0) } }
        guard let cMeter = col("meterId", "meter_id", "meter") else { throw APIProblem.badRequest("line 1", "the header must name a meterId column") }
        guard let cTime = col("observedAt", "timestamp", "time") else {
            throw APIProblem.badRequest("line 1", "the header must name an observedAt column")
        }
        guard let cValue = col("value", "reading") else { throw APIProblem.badRequest("line 1", "the header must name a value column") }
        let cInterval = col("intervalMinutes")
        if let d = defaultInterval, d != 15 && d != 60 {
            throw APIProblem.badRequest("intervalMinutes", "must be 15 or 60 (got \(d))", code: .enumeration)
        }
        var rows: [Row] = []
        var problems: [Problem] = []
        for (i, line) in lines.enumerated().dropFirst() {
            let n = i + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == cols.count else {
                problems.append(Problem("line \(n)", .count, "has \(f.count) fields, the header \(cols.count)"))
                continue
            }
            let meter = f[cMeter]
            if meter.isEmpty { problems.append(Problem("line \(n).meterId", .required, "is empty")) }
            guard let at = DomainTime.dateTime(f[cTime]) else {
                problems.append(Problem("line \(n).observedAt", .format, "must be an RFC 3339 date-time (got '\(f[cTime].prefix(40))')"))
                continue
            }
            var value: Double?
            if !f[cValue].isEmpty {
                guard let v = Double(f[cValue]), v.isFinite else {
                    problems.append(Problem("line \(n).value", .type, "must be a number or empty (got '\(f[cValue].prefix(40))')"))
                    continue
                }
                value = v
            }
            var interval = defaultInterval ?? 15
            if let c = cInterval, !f[c].isEmpty {
                guard let v = Int(f[c]), v == 15 || v == 60 else {
                    problems.append(Problem("line \(n).intervalMinutes", .enumeration, "must be 15 or 60 (got '\(f[c].prefix(10))')"))
                    continue
                }
                interval = v
            }
            rows.append(Row(line: n, meterId: meter, at: at, text: f[cTime], value: value, interval: interval))
        }
        if rows.isEmpty && problems.isEmpty { problems.append(Problem("body", .count, "holds no reading")) }
        if !problems.isEmpty { throw APIProblem(.badRequest, "the CSV has \(problems.count) problem(s)", problems: Array(problems.prefix(100))) }

        var order: [String] = []
        var byMeter: [String: [Row]] = [:]
        for r in rows {
            if byMeter[r.meterId] == nil { order.append(r.meterId) }
            byMeter[r.meterId, default: []].append(r)
        }
        var events: [[String: Any]] = []
        for m in order {
            let series = byMeter[m]!.sorted { $0.at < $1.at }
            var run: [Row] = []
            func flush() {
                guard let first = run.first else { return }
                let step = Double(first.interval * 60)
                var readings: [Any] = []
                for r in run {
                    let index = Int(((r.at.timeIntervalSince(first.at)) / step).rounded())
                    while readings.count < index { readings.append(NSNull()) }
                    readings.append(r.value.map { $0 as Any } ?? NSNull())
                }
                events.append(["meterId": m, "observedAt": first.text, "intervalMinutes": first.interval, "readings": readings])
                run = []
            }
            for r in series {
                if let last = run.last {
                    if r.at == last.at {
                        if r.value != last.value {
                            problems.append(
                                Problem("line \(r.line).observedAt", .duplicate, "meter \(m) has another value at the same time on line \(last.line)")
                            )
                        }
                        continue
                    }
                    let step = Double(run[0].interval * 60)
                    let offset = r.at.timeIntervalSince(run[0].at) / step
                    let aligned = abs(offset - offset.rounded()) < 1e-6
                    if r.interval != run[0].interval || !aligned || r.at.timeIntervalSince(last.at) > 86_400 || offset.rounded() >= 2976 { flush() }
                }
                run.append(r)
            }
            flush()
        }
        if !problems.isEmpty { throw APIProblem(.badRequest, "the CSV has \(problems.count) problem(s)", problems: Array(problems.prefix(100))) }
        return try JSONSerialization.data(withJSONObject: events)
    }
}
