import Crypto
import EventLog
import Foundation

/// The one path from a submission (CLI today, HTTP API tomorrow) to the log:
/// parse → validate every item completely → append all items atomically, or nothing.
public struct Submitter: Sendable {
    public struct Result: Sendable, Codable {
        public var kind: String
        public var positions: [UInt64]
        public var appended: Int
        public var streams: [String]
        /// Each event's stream version, when known without reading the log back (not on a retry).
        public var versions: [UInt64]?
    }

    let store: any EventStore
    let cache: AssetFactsCache?
    let now: @Sendable () -> Date

    public init(store: any EventStore, cache: AssetFactsCache? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.cache = cache
        self.now = now
    }

    /// Validates and appends `json`: one object, or an array of objects (one atomic batch).
    /// Throws `ValidationFailure` listing every problem; nothing is appended then.
    /// With a `submissionId`, event ids derive from it, so a retried submission appends nothing twice.
    /// With `ifMatch` (HTTP `If-Match` on a registry edit), the first item's stream must be at
    /// exactly that version when validated and when appended, else `EventStoreError.wrongExpectedVersion`.
    /// When another writer changes an asset between validation and append (two inspectors on
    /// one bridge), the submission is validated again against the new facts, a few times,
    /// rather than refused; with `ifMatch` the caller asked for exactly that refusal.
    public func submit(kind: String, json: Data, actor: String, submissionId: UUID? = nil, ifMatch: UInt64? = nil) async throws -> Result {
        var attempt = 0
        while true {
            do {
                return try await submitOnce(kind: kind, json: json, actor: actor, submissionId: submissionId, ifMatch: ifMatch)
            } catch let e as EventStoreError where e.code == .wrongExpectedVersion && ifMatch == nil && attempt < 4 {
                attempt += 1
            }
        }
    }

    private func submitOnce(kind: String, json: Data, actor: String, submissionId: UUID?, ifMatch: UInt64?) async throws -> Result {
        guard let entry = Catalog.entry(kind: kind) else {
            throw ValidationFailure([
                Problem("kind", .enumeration, "unknown kind '\(kind)'; one of \(Catalog.entries.map(\.kind).joined(separator: ", "))")
            ])
        }
        // The log's own syntax check first: it names the byte, and refuses what no store may
        // hold (NUL, lone surrogates) before anything else looks at the values.
        if let p = JSONSyntax.valueProblem(json) { throw ValidationFailure([Problem("", .format, "is not valid JSON: \(p)")]) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        } catch {
            throw ValidationFailure([Problem("", .format, "is not valid JSON (\(Self.describe(error)))")])
        }
        let isBatch = parsed is [Any]
        let items: [Any] = (parsed as? [Any]) ?? [parsed]
        if items.isEmpty { throw ValidationFailure([Problem("", .count, "must hold at least one item")]) }
        if items.count > 10_000 { throw ValidationFailure([Problem("", .count, "must hold at most 10000 items (got \(items.count))")]) }

        // 1. Shape of every item.
        var problems: [Problem] = []
        var events: [any DomainEvent] = []
        for (i, item) in items.enumerated() {
            let prefix = isBatch ? "[\(i)]" : ""
            var itemProblems: [Problem] = []
            FieldType.object(entry.type.fields).validate(item, at: prefix, into: &itemProblems)
            if !itemProblems.isEmpty {
                problems += itemProblems
                continue
            }
            do {
                // One object: decode the bytes as sent (no re-serialisation of what was just parsed).
                let data = isBatch ? try JSONSerialization.data(withJSONObject: item) : json
                events.append(try JSONDecoder().decode(entry.type, from: data))
            } catch {
                problems.append(Problem(prefix, .type, "does not match \(entry.eventType): \(Self.describe(error))"))
            }
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }

        // A retried submission (same id) whose events are already in the log: answer with the
        // original positions before any rule that the first attempt itself now breaks.
        if let submissionId, let retried = try await retry(events, kind: kind, actor: actor, submissionId: submissionId) {
            return retried
        }

        // 2. Context: the assets touched, then each item's rules, in order (so an item may refer
        //    to an asset created earlier in the same batch).
        var context = ValidationContext(now: now())
        let streams = Set(events.flatMap { e in [e.stream] + ((e as? any ContextRules)?.relatedStreams ?? []) })
        let directory = AssetDirectory(store: store, cache: cache)
        for s in streams { context.assets[s] = try await directory.facts(stream: s) }
        var seenVersions = context.assets.mapValues(\.version)
        if let ifMatch, let stream = events.first?.stream {
            let current = seenVersions[stream].flatMap { $0 }
            guard current == ifMatch else {
                throw EventStoreError(
                    .wrongExpectedVersion,
                    "If-Match: \(stream) is at version \(current.map(String.init) ?? "none"), not \(ifMatch): read it again and retry")
            }
            seenVersions[stream] = ifMatch
        }
        var proposed: [ProposedEvent] = []
        var versions: [UInt64] = []
        for (i, e) in events.enumerated() {
            let prefix = isBatch ? "[\(i)]" : ""
            let rules = (e as? any ContextRules)?.problems(in: context) ?? []
            problems += rules.map { Problem(prefix.isEmpty ? $0.path : (($0.path.isEmpty) ? prefix : "\(prefix).\($0.path)"), $0.code, $0.message) }
            guard rules.isEmpty else { continue }
            let payload = try e.payload()
            var facts = context.facts(e.stream)
            facts.apply(e)
            facts.version = (facts.version.map { $0 + 1 }) ?? 0
            versions.append(facts.version ?? 0)
            context.assets[e.stream] = facts
            let first = !proposed.contains { $0.stream == e.stream }
            let expected: ExpectedVersion =
                first ? (seenVersions[e.stream].flatMap { $0 }.map { .exact($0) } ?? .noStream) : .any
            proposed.append(
                try Self.proposed(e, payload: payload, index: i, kind: kind, actor: actor, submissionId: submissionId, expected: expected))
        }
        if !problems.isEmpty { throw ValidationFailure(problems) }

        // 3. Append atomically. A retry of the same submission returns the original positions.
        let result = try await appendIdempotently(proposed)
        return Result(
            kind: kind, positions: result.positions, appended: result.appended, streams: proposed.map(\.stream),
            versions: result.appended == proposed.count ? versions : nil)
    }

    static func proposed(
        _ e: any DomainEvent, payload: Data, index: Int, kind: String, actor: String, submissionId: UUID?, expected: ExpectedVersion
    ) throws -> ProposedEvent {
        // Sorted keys, as JSONSerialization wrote them before (retries compare these bytes);
        // a kind is a catalogue name and an id a UUID, so nothing needs escaping.
        let metadata = "{\"kind\":\"\(kind)\"" + (submissionId.map { ",\"submissionId\":\"\($0.uuidString.lowercased())\"" } ?? "") + "}"
        return ProposedEvent(
            id: submissionId.map { derivedId($0, index: index) } ?? .random(), stream: e.stream, type: type(of: e).eventType,
            schemaVersion: type(of: e).schemaVersion, payload: payload,
            metadata: Data(metadata.utf8), actor: actor,
            correlationId: submissionId, expected: expected)
    }

    /// If the submission's first event is already in the log, this is a retry: append the same
    /// events again (the store recognises identical ids and content and appends nothing) and
    /// return the original positions. A reused id with other content is a problem.
    private func retry(_ events: [any DomainEvent], kind: String, actor: String, submissionId: UUID) async throws -> Result? {
        guard try await store.position(ofEventId: Self.derivedId(submissionId, index: 0)) != nil else { return nil }
        let proposed = try events.enumerated().map { i, e in
            try Self.proposed(e, payload: try e.payload(), index: i, kind: kind, actor: actor, submissionId: submissionId, expected: .any)
        }
        do {
            let r = try await store.append(proposed)
            guard r.appended == 0 else {
                throw ValidationFailure([Problem("submissionId", .duplicate, "was used before for a different submission")])
            }
            return Result(kind: kind, positions: r.positions, appended: 0, streams: proposed.map(\.stream))
        } catch let e as EventStoreError where e.code == .duplicateEventId {
            throw ValidationFailure([Problem("submissionId", .duplicate, "was used before with other content: \(e.message)")])
        }
    }

    /// A retried submission whose events are already in the log would fail its expectation
    /// (the stream moved on because of the first attempt); recognise that case by the ids.
    private func appendIdempotently(_ events: [ProposedEvent]) async throws -> AppendResult {
        do {
            return try await store.append(events)
        } catch let e as EventStoreError where e.code == .wrongExpectedVersion {
            var positions: [UInt64] = []
            for ev in events {
                guard let p = try await store.position(ofEventId: ev.id) else { throw e }
                positions.append(p)
            }
            let retried = events.map {
                var x = $0; x.expected = .any; return x
            }
            let again = try await store.append(retried)
            guard again.appended == 0, again.positions == positions else { throw e }
            return again
        }
    }

    /// Event id for item `index` of a submission: SHA-256 of both, shaped as a UUID.
    static func derivedId(_ submission: UUID, index: Int) -> UUID {
        var bytes = withUnsafeBytes(of: submission.uuid) { Array($0) }
        bytes += Array("#\(index)".utf8)
        return UUID.nameBased(Data(bytes))
    }

    static func describe(_ error: any Error) -> String {
        if let d = error as? DecodingError {
            switch d {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
                let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                return "\(path.isEmpty ? "" : "\(path): ")\(c.debugDescription)"
            @unknown default: return "\(d)"
            }
        }
        return (error as NSError).localizedDescription
    }
}
