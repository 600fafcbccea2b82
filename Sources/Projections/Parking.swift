import Domain
import EventLog
import Foundation

/// Why a projection cannot apply an event. Projections throw it *before* they change the state,
/// so a refused event leaves no half-applied trace.
public struct CannotApply: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ reason: String) { description = reason }

    /// An event about an asset this projection does not know: never dropped without a word.
    static func unknown(_ noun: String, _ id: String, _ creation: String) -> CannotApply {
        CannotApply("no \(noun) \(id) in this projection: its \(creation) is not in the log, or was parked")
    }
}

/// An event a projection could not apply, kept in its state (the poison-event policy).
///
/// The log cannot be edited, so one bad event must never stop a projection: like a KurrentDB
/// persistent subscription parking a message, or a Kafka Connect dead-letter topic, the
/// projection records the event, raises an operator alert, and goes on with the next one. After
/// a code or rule fix, a rebuild applies it (it is read again from the log like any other).
public struct ParkedEvent: Codable, Sendable, Equatable {
    public var position: UInt64
    public var stream: String
    public var type: String
    public var schemaVersion: UInt32
    public var reason: String
}

/// The parked events of one projection: the first `keep` in full, and how many in all (a tool
/// that floods the log with foreign events must not grow the state without bound).
public struct ParkedEvents: Codable, Sendable, Equatable {
    public static let keep = 1000
    /// One operator alert per parked event up to this many, then one alert that says "more".
    public static let alertLimit = 100

    public var events: [ParkedEvent] = []
    public var total = 0

    public init() {}
}

extension AlertHolding {
    /// Records `event` as parked with `reason` and raises the operator alert for it.
    mutating func park(_ event: RecordedEvent, reason: String, projection: String, ruleSet: RuleSetInfo) {
        let why = AlertText.fit(reason, max: 600)
        parked.total += 1
        if parked.events.count < ParkedEvents.keep {
            parked.events.append(
                ParkedEvent(
                    position: event.position, stream: AlertText.fit(event.stream, max: 255), type: event.type, schemaVersion: event.schemaVersion,
                    reason: why))
        }
        let day = DomainTime.dayString(Date(timeIntervalSince1970: Double(event.recordedAt) / 1e6))
        let stream = AlertText.fit(event.stream, max: 120)
        if parked.total <= ParkedEvents.alertLimit {
            raise(
                "presidio.parked.\(projection).\(event.position)", rule: "projection.parkedEvent", asset: stream, severity: .warning,
                evidence:
                    "projection \(projection) could not apply event \(event.position) (\(event.type) v\(event.schemaVersion) on \(event.stream)): \(why). It goes on with the next events; a rebuild after a fix applies it.",
                ruleSet: ruleSet, advisory: false, on: day, position: event.position)
        } else if parked.total == ParkedEvents.alertLimit + 1 {
            raise(
                "presidio.parked.\(projection).more", rule: "projection.parkedEvent", asset: stream, severity: .critical,
                evidence:
                    "projection \(projection) has parked more than \(ParkedEvents.alertLimit) events (the latest at position \(event.position)); see `presidio projections status`.",
                ruleSet: ruleSet, advisory: false, on: day, position: event.position)
        }
    }
}

/// Alert texts built to fit the limits of the alert events they are published as (a long
/// inspection note must never make an alert unpublishable).
public enum AlertText {
    public static let marker = " […]"

    /// `s` cut to at most `max` Unicode code points (the schemas' unit), with a marker when cut.
    public static func fit(_ s: String, max: Int) -> String {
        let scalars = s.unicodeScalars
        guard scalars.count > max else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(max - marker.unicodeScalars.count))
        return String(out) + marker
    }

    static let idCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-".unicodeScalars)

    /// An alert id that matches the alert events' pattern and length: `id` when it does,
    /// otherwise its safe characters and a digest of the whole (still deterministic).
    public static func id(_ id: String) -> String {
        if !id.isEmpty, id.unicodeScalars.count <= 200, id.unicodeScalars.allSatisfy(idCharacters.contains) { return id }
        var safe = String.UnicodeScalarView(id.unicodeScalars.filter(idCharacters.contains).prefix(150))
        if safe.isEmpty { safe = "alert".unicodeScalars }
        let digest = UUID.nameBased(Data(id.utf8)).uuidString.lowercased()
        return String(safe) + ".\(digest)"
    }
}

extension Array {
    /// The entry for 1-based class `k` of a rule table. A class out of range (from an event no
    /// validation caught) throws instead of trapping the process.
    func cell(_ k: Int, _ table: @autoclosure () -> String) throws(CannotApply) -> Element {
        guard k >= 1, k <= count else { throw CannotApply("class \(k) is outside table \(table()) (1…\(count))") }
        return self[k - 1]
    }
}
