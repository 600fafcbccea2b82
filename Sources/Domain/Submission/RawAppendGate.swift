import EventLog
import Foundation

/// What `log append` and `log import` check before an event goes into a domain category
/// (`bridge-…`, `meter-…`, `wastesite-…`, `building-…`, `tariff-…`, `alert-…`): the checks of
/// `submit`, the shape and then the rules that need the asset's facts. Raw appends cannot put
/// into the log what a submission could not, and a projection never meets an event it would
/// have to park. Streams of other categories (another tool's own) pass unchecked, as does
/// everything under `--raw` (migrations, restores: the projections park what they cannot apply).
public struct RawAppendGate: Sendable {
    var context: ValidationContext
    let directory: AssetDirectory
    let store: any EventStore

    public init(store: any EventStore, now: Date = Date()) {
        self.store = store
        directory = AssetDirectory(store: store)
        context = ValidationContext(now: now)
    }

    /// Whether the stream is in one of the domain's categories.
    public static func isDomainStream(_ stream: String) -> Bool {
        guard let dash = stream.firstIndex(of: "-") else { return false }
        return AssetCategory(rawValue: String(stream[..<dash])) != nil
    }

    /// The event's problems; an event that passes is folded into the facts, so later events of
    /// the same import see the asset it creates or changes. An event already in the log (same
    /// id) is the store's to answer: a re-sent import appends nothing twice. The log is asked
    /// about the id only for an event that fails (one round trip per refusal, not per event).
    public mutating func problems(_ e: ProposedEvent) async throws -> [Problem] {
        guard Self.isDomainStream(e.stream) else { return [] }
        let problems = try await check(e)
        if !problems.isEmpty, try await store.position(ofEventId: e.id) != nil { return [] }
        return problems
    }

    mutating func check(_ e: ProposedEvent) async throws -> [Problem] {
        let category = e.stream.prefix { $0 != "-" }
        guard Catalog.isKnown(e.type) else {
            let types = Catalog.entries.filter { $0.type.category.rawValue == category }.map(\.eventType)
            return [
                Problem(
                    "type", .enumeration,
                    "'\(e.type)' is not an event type of the domain; the '\(category)' category takes \(types.joined(separator: ", ")) (or use --raw)"
                )
            ]
        }
        // The shape first, as `submit` names it (field by field), then the decoded value.
        if let entry = Catalog.entry(eventType: e.type, version: e.schemaVersion) {
            guard let object = try? JSONSerialization.jsonObject(with: e.payload) else { return [Problem("data", .format, "is not a JSON object")] }
            var shape: [Problem] = []
            FieldType.object(entry.type.fields).validate(object, at: "", into: &shape)
            if !shape.isEmpty { return shape.map { Problem($0.path.isEmpty ? "data" : "data.\($0.path)", $0.code, $0.message) } }
        }
        let decoded: any DomainEvent
        do {
            decoded = try Catalog.decodeChecked(type: e.type, schemaVersion: e.schemaVersion, payload: e.payload, stream: e.stream)
        } catch {
            return [Problem("data", .inconsistent, "\(error.description) (or use --raw)")]
        }
        for s in [decoded.stream] + ((decoded as? any ContextRules)?.relatedStreams ?? []) where context.assets[s] == nil {
            context.assets[s] = try await directory.facts(stream: s)
        }
        let problems = (decoded as? any ContextRules)?.problems(in: context) ?? []
        guard problems.isEmpty else { return problems.map { Problem($0.path.isEmpty ? "data" : "data.\($0.path)", $0.code, $0.message) } }
        var facts = context.facts(decoded.stream)
        facts.apply(decoded)
        facts.version = facts.version.map { $0 + 1 } ?? 0
        context.assets[decoded.stream] = facts
        return []
    }
}
