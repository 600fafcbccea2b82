import EventLog
import Foundation

extension RecordedEvent {
    /// A top-level string member of the payload (`observedAt`, `alertId`…), without decoding
    /// the whole payload: the audit scans read one or two members of every event.
    func payloadString(_ key: String) -> String? {
        guard let members = JSONSyntax.topLevelMembers(payload), let m = members.first(where: { $0.key == key }) else { return nil }
        let raw = payload[payload.startIndex + m.value.lowerBound..<payload.startIndex + m.value.upperBound]
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return nil }
        // Escapes are rare (dates and ids have none): only then the JSON decoder.
        if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw.dropFirst().dropLast(), as: UTF8.self) }
        return try? JSONDecoder().decode(String.self, from: Data(raw))
    }
}
