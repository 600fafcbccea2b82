import Crypto
import Domain
import EventLog
import Foundation

/// Keeps one projection's state up to date with the log: resumes from its snapshot (when the
/// code and rule-set versions still match), applies what follows, snapshots, and publishes its
/// alert transitions back into the log.
public final class ProjectionRunner<P: Projection>: @unchecked Sendable {
    // @unchecked: a runner is used from one task at a time (CLI command or worker service).
    public let projection: P
    let store: any EventStore
    let snapshots: any SnapshotStore
    public private(set) var state: P.State
    public private(set) var position: UInt64 = 0
    public private(set) var lastRate: Double = 0
    /// CPU seconds the last `catchUp` spent applying events (this thread's own clock, so
    /// neither the reading task nor a busy neighbour on the VM counts): what a benchmark of the
    /// projection's own cost reads.
    public private(set) var lastApplySeconds: Double = 0
    /// Alert ids whose events failed their own validation (kept out of later publications).
    public private(set) var unpublishable: Set<String> = []
    /// Snapshot after this many applied events (and at the end of every catch-up).
    public var snapshotEvery = 200_000

    /// The rule file's content, as `RuleFile` hashes it: a snapshot records it beside the rule
    /// set's label, so a rule file edited without a new version is caught on restore.
    public let ruleFile: RuleFile?

    public init(projection: P, store: any EventStore, snapshots: any SnapshotStore, ruleFile: RuleFile? = nil) {
        self.projection = projection
        self.store = store
        self.snapshots = snapshots
        self.ruleFile = ruleFile
        state = projection.initialState()
    }

    /// What a snapshot records as its rule set: `bridges/v1@<first 16 hex of the file's SHA-256>`.
    var snapshotRuleSet: String { projection.ruleSet.label + (ruleFile.map { "@" + $0.sha256.prefix(16) } ?? "") }

    public struct Status: Codable, Sendable {
        public var name: String
        public var codeVersion: Int
        public var ruleSet: RuleSetInfo
        public var position: UInt64
        public var head: UInt64
        public var lag: UInt64
        public var eventsPerSecond: Double
        public var snapshotSHA256: String
        public var alertsFiring: Int
        /// Events this projection could not apply (position, stream, type, reason), newest last.
        public var parkedEvents: Int
        public var parked: [ParkedEvent]
        /// Alerts that could not be published (should be none: their texts are fitted).
        public var unpublishable: [String]
    }

    /// Loads the snapshot if it was made by this code and rule-set version; otherwise starts from
    /// zero (that is the rebuild). Returns whether the snapshot was used.
    @discardableResult
    public func restore() async throws -> Bool {
        let loaded = try await snapshots.load(projection.name)
        if let s = loaded, let file = ruleFile, s.ruleSet.hasPrefix(projection.ruleSet.label + "@"), s.ruleSet != snapshotRuleSet {
            throw RuleSetError(
                file: file.path,
                problems: [
                    "its content changed without a new version (\(projection.ruleSet.label) was \(s.ruleSet.split(separator: "@").last ?? "")…, is now \(file.sha256.prefix(16))…): save the edited rules as v\(projection.ruleSet.version + 1).json, or put the original back"
                ])
        }
        guard let s = loaded, s.codeVersion == projection.codeVersion, s.ruleSet == snapshotRuleSet,
            let decoded = try? JSONDecoder().decode(P.State.self, from: s.state)
        else {
            state = projection.initialState()
            position = 0
            return false
        }
        state = decoded
        position = s.position
        return true
    }

    /// Applies every event after `position`, up to `until` (inclusive) or the head.
    public func catchUp(until: UInt64? = nil, untilTime: Int64? = nil, saveSnapshots: Bool = true) async throws {
        try await catchUp(limit: ReplayLimit(position: until, time: untilTime), saveSnapshots: saveSnapshots)
    }

    /// Applies the events after `position` that `limit` lets through (see `ReplayLimit`).
    ///
    /// The next page is read and decoded by another task while this one is applied: reading
    /// and decoding are pure, so a rebuild keeps both cores busy (issue 16, meters 8). The
    /// events are still applied one by one, in log order, on this task.
    public func catchUp(limit: ReplayLimit, saveSnapshots: Bool = false) async throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let from = position
        var sinceSnapshot = 0
        let categories = projection.categories
        let store = self.store
        var next: Task<DecodedPage, any Error>? = Task { try await DecodedPage.read(store, from: from + 1, categories: categories) }
        // The page applied last, handed to the next reading task to be freed there: its
        // thousands of small buffers were allocated by that task, and freeing them from this
        // one cost more than applying the page (glibc returns each to its arena, under a lock).
        var retired = RetiredPage()
        let bounded = limit != .head
        var applyNanos: UInt64 = 0
        do {
            pages: while let reading = next {
                let page = try await reading.value
                next = nil
                guard let last = page.events.last else { break }
                let previous = retired
                next = Task {
                    previous.free()
                    return try await DecodedPage.read(store, from: last.position + 1, categories: categories)
                }
                // Over the page's own storage: no copy of each event (and of its references).
                let cpu = Self.threadCPUNanos()
                let stopped = page.events.withUnsafeBufferPointer { events in
                    page.decoded.withUnsafeBufferPointer { decoded in
                        for k in events.indices {
                            // (A rebuild to the head asks the limit nothing: each question
                            // copied the event, a dozen reference counts.)
                            if bounded {
                                if limit.stops(before: events[k]) { return true }
                                if !limit.includes(events[k]) {
                                    position = events[k].position
                                    sinceSnapshot += 1
                                    continue
                                }
                            }
                            applyDecoded(events[k], decoded[k])
                            sinceSnapshot += 1
                        }
                        return false
                    }
                }
                applyNanos += Self.threadCPUNanos() &- cpu
                retired = RetiredPage(consume page)
                if stopped { break pages }
                if saveSnapshots && sinceSnapshot >= snapshotEvery {
                    try await saveSnapshot()
                    sinceSnapshot = 0
                }
            }
        } catch {
            _ = try? await next?.value
            throw error
        }
        // The page read ahead is awaited, so no read outlives the call (the store may be closed next).
        _ = try? await next?.value
        let secs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        lastRate = secs > 0 ? Double(position - from) / secs : 0
        lastApplySeconds = Double(applyNanos) / 1e9
        if saveSnapshots && position > from { try await saveSnapshot() }
    }

    /// This thread's CPU time. A page is applied without a suspension point, so the thread
    /// that starts it finishes it.
    static func threadCPUNanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Applies the events of `page` this runner has not seen yet (a page read once and shared by
    /// every projection: the follow service's path). Events must be in position order.
    @discardableResult
    public func apply(page: [RecordedEvent]) -> Int {
        let categories = projection.categories
        var n = 0
        for e in page where e.position == position + 1 {
            applyOne(e, categories: categories)
            n += 1
        }
        return n
    }

    /// Applies one event, or parks it: an event that does not decode, fails the catalogue's
    /// field checks, or that the projection cannot apply is recorded with its reason and an
    /// operator alert, and the projection goes on (it never stops, and never stops the others).
    @inline(__always)
    private func applyOne(_ e: RecordedEvent, categories: Set<String>) {
        applyDecoded(e, DecodedPage.decode(e, categories: categories))
    }

    /// `applyOne` with the event already decoded.
    @inline(__always)
    private func applyDecoded(_ e: RecordedEvent, _ decoded: DecodedPage.Entry) {
        switch decoded {
        case .notRead: break
        case .alert(let event): state.applyAlertEvent(e, event)
        case .event(let event):
            do {
                try projection.apply(e, event, to: &state)
            } catch {
                state.park(e, reason: "\(error)", projection: projection.name, ruleSet: projection.ruleSet)
            }
        case .unreadable(let error): state.park(e, reason: "\(error)", projection: projection.name, ruleSet: projection.ruleSet)
        }
        position = e.position
    }

    public func encodedState() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try enc.encode(state)
    }

    public func saveSnapshot() async throws {
        try await snapshots.save(
            Snapshot(
                name: projection.name, codeVersion: projection.codeVersion, ruleSet: snapshotRuleSet, position: position,
                state: try encodedState()))
    }

    /// Appends the alert transitions not yet in the log. Event ids derive from the alert id and
    /// the transition, so a restarted or duplicated worker appends each one only once.
    @discardableResult
    public func publishAlerts(actor: String? = nil, refresh: Bool = true) async throws -> Int {
        var events: [ProposedEvent] = []
        let by = actor ?? "projection:\(projection.name)"
        // Only the alerts with a transition not yet in the log (few), in a stable order.
        let pending = state.alerts.values.filter { a in
            (!a.raisePublished || a.escalationsPublished < a.escalations.count || (a.state == .resolved && !a.resolutionPublished))
                && !unpublishable.contains(a.id)
        }
        for a in pending.sorted(by: { $0.raisedPosition == $1.raisedPosition ? $0.id < $1.id : $0.raisedPosition < $1.raisedPosition }) {
            // One alert that cannot be published must not hold back the others.
            let before = events.count
            do {
                if !a.raisePublished {
                    let raised = AlertRaised(
                        alertId: a.id, observedAt: a.raisedOn, rule: a.rule, asset: a.asset, severity: a.severity, evidence: a.evidence,
                        ruleSet: a.ruleSet, advisory: a.advisory, triggerPosition: Int(a.raisedPosition))
                    events.append(try Self.proposed(raised, transition: "raised", actor: by))
                }
                for (k, x) in a.escalations.enumerated() where k >= a.escalationsPublished {
                    let escalated = AlertEscalated(
                        alertId: a.id, observedAt: x.on, severity: x.severity, reason: x.reason, triggerPosition: Int(x.position))
                    events.append(try Self.proposed(escalated, transition: "escalated-\(k)", actor: by))
                }
                if a.state == .resolved, !a.resolutionPublished, let on = a.resolvedOn {
                    let resolved = AlertResolved(
                        alertId: a.id, observedAt: on, reason: a.resolution ?? "condition cleared",
                        triggerPosition: a.resolvedPosition.map { Int($0) })
                    events.append(try Self.proposed(resolved, transition: "resolved", actor: by))
                }
            } catch {
                events.removeSubrange(before...)
                unpublishable.insert(a.id)
            }
        }
        var appended = 0
        for chunk in stride(from: 0, to: events.count, by: 2000) {
            appended += try await store.append(Array(events[chunk..<min(events.count, chunk + 2000)])).appended
        }
        // The follow service reads its own alert events back with the next page instead.
        if !events.isEmpty && refresh { try await catchUp() }
        return appended
    }

    static func proposed(_ e: any DomainEvent, transition: String, actor: String) throws -> ProposedEvent {
        var problems: [Problem] = []
        FieldType.object(type(of: e).fields).validate(try JSONSerialization.jsonObject(with: try e.payload()), at: "", into: &problems)
        if !problems.isEmpty { throw ValidationFailure(problems) }
        let id = UUID.nameBased(Data("presidio-alert|\(transition)|\(e.assetId)".utf8))
        return ProposedEvent(
            id: id, stream: e.stream, type: type(of: e).eventType, schemaVersion: type(of: e).schemaVersion, payload: try e.payload(),
            metadata: Data(#"{"source":"projection"}"#.utf8), actor: actor)
    }

    public func status() async throws -> Status {
        let head = try await store.headPosition()
        let sha = Data(SHA256.hash(data: try encodedState())).hex
        return Status(
            name: projection.name, codeVersion: projection.codeVersion, ruleSet: projection.ruleSet, position: position, head: head,
            lag: head > position ? head - position : 0, eventsPerSecond: lastRate, snapshotSHA256: sha,
            alertsFiring: state.alerts.values.filter { $0.state == .firing }.count, parkedEvents: state.parked.total,
            parked: Array(state.parked.events.suffix(20)), unpublishable: unpublishable.sorted())
    }

    /// The state as of a past position or time, replayed from the start (for auditors).
    public static func asOf(projection: P, store: any EventStore, position: UInt64? = nil, time: Int64? = nil) async throws -> P.State {
        let r = ProjectionRunner(projection: projection, store: store, snapshots: NoSnapshots())
        try await r.catchUp(until: position, untilTime: time, saveSnapshots: false)
        return r.state
    }
}

/// A page of the log with the events a projection reads already decoded: what `catchUp`
/// reads ahead on another task.
struct DecodedPage: Sendable {
    /// What the projection does with an event, worked out on the reading task.
    enum Entry: Sendable {
        /// Not a category the projection reads.
        case notRead
        /// An alert event (every projection folds its own alerts' transitions).
        case alert(any DomainEvent)
        case event(any DomainEvent)
        /// Parked with this reason.
        case unreadable(UnreadableEvent)
    }

    var events: [RecordedEvent]
    var decoded: [Entry]

    static func read(_ store: any EventStore, from: UInt64, categories: Set<String>) async throws -> DecodedPage {
        let events = try await store.read(from: from, limit: 4096)
        return DecodedPage(events: events, decoded: events.map { decode($0, categories: categories) })
    }

    @inline(__always)
    static func decode(_ e: RecordedEvent, categories: Set<String>) -> Entry {
        let category = e.category
        let alert = category == "alert"
        guard alert || categories.contains(category) else { return .notRead }
        do {
            let event = try Catalog.decodeChecked(e)
            return alert ? .alert(event) : .event(event)
        } catch {
            return .unreadable(error)
        }
    }
}

/// A page done with, owned by whichever task frees it (see `catchUp`).
final class RetiredPage: @unchecked Sendable {
    // @unchecked: written by one task at a time (the applying one, then the reading one).
    private var page: DecodedPage?
    init(_ page: DecodedPage? = nil) { self.page = page }
    func free() { page = nil }
}

/// For replays that must not touch the stored snapshots.
public struct NoSnapshots: SnapshotStore {
    public init() {}
    public func load(_ name: String) throws -> Snapshot? { nil }
    public func save(_ snapshot: Snapshot) throws {}
    public func delete(_ name: String) throws {}
}

/// A runner seen without its state type, so commands can drive every projection alike.
public protocol ProjectionWorker: AnyObject, Sendable {
    var name: String { get }
    var alertRecords: [AlertRecord] { get }
    /// Events this projection could not apply.
    var parked: ParkedEvents { get }
    @discardableResult func restore() async throws -> Bool
    func catchUp() async throws
    @discardableResult func publishAlerts() async throws -> Int
    /// Publishes without reading the log back (the follow service reads the next page anyway).
    @discardableResult func publishAlertsWithoutRefresh() async throws -> Int
    var position: UInt64 { get }
    @discardableResult func apply(page: [RecordedEvent]) -> Int
    func saveSnapshot() async throws
    func catchUp(until: UInt64?, untilTime: Int64?, saveSnapshots: Bool) async throws
    func catchUp(limit: ReplayLimit, saveSnapshots: Bool) async throws
    func dropSnapshot() async throws
    func workerStatus() async throws -> ProjectionStatus
}

public typealias ProjectionStatus = ProjectionRunner<WasteSiteProjection>.Status

extension ProjectionRunner: ProjectionWorker {
    public var name: String { projection.name }
    public var alertRecords: [AlertRecord] { Array(state.alerts.values) }
    public var parked: ParkedEvents { state.parked }
    public func catchUp() async throws { try await catchUp(until: nil, untilTime: nil, saveSnapshots: true) }
    public func publishAlerts() async throws -> Int { try await publishAlerts(actor: nil) }
    public func publishAlertsWithoutRefresh() async throws -> Int { try await publishAlerts(actor: nil, refresh: false) }
    public func dropSnapshot() async throws { try await snapshots.delete(projection.name) }
    public func workerStatus() async throws -> ProjectionStatus {
        let s = try await status()
        return ProjectionStatus(
            name: s.name, codeVersion: s.codeVersion, ruleSet: s.ruleSet, position: s.position, head: s.head, lag: s.lag,
            eventsPerSecond: s.eventsPerSecond, snapshotSHA256: s.snapshotSHA256, alertsFiring: s.alertsFiring, parkedEvents: s.parkedEvents,
            parked: s.parked, unpublishable: s.unpublishable)
    }
}
