import EventLog
import Foundation

/// Validates generated events exactly as submissions are validated (shape, then context), but
/// keeps the asset facts in memory instead of reading them back from the log: the generator
/// itself is the only writer while it loads. Nothing invalid reaches the log.
public struct DemoValidator: Sendable {
    var context: ValidationContext
    var ids: SeededRandom

    public init(seed: UInt64, now: Date) {
        context = ValidationContext(now: now)
        ids = SeededRandom(seed: seed, label: "event-ids")
    }

    /// The event as it will be appended, or every problem it has.
    public mutating func proposed(_ item: CityGenerator.Item, actor: String = "demo-data") throws -> ProposedEvent {
        let e = item.event
        let type = Swift.type(of: e)
        let payload = try e.payload()
        var problems: [Problem] = []
        let object = try JSONSerialization.jsonObject(with: payload)
        FieldType.object(type.fields).validate(object, at: "", into: &problems)
        if let rules = e as? any ContextRules { problems += rules.problems(in: context) }
        if !problems.isEmpty {
            throw ValidationFailure(problems.map { Problem("\(type.eventType) \(e.stream): \($0.path)", $0.code, $0.message) })
        }
        var facts = context.facts(e.stream)
        let expected: ExpectedVersion = facts.version.map { .exact($0) } ?? .noStream
        facts.apply(e)
        facts.version = facts.version.map { $0 + 1 } ?? 0
        context.assets[e.stream] = facts
        return ProposedEvent(
            id: ids.uuid(), stream: e.stream, type: type.eventType, schemaVersion: type.schemaVersion, payload: payload,
            metadata: Data(#"{"kind":"\#(item.kind)","source":"demo-data"}"#.utf8), actor: actor, expected: expected)
    }
}
