import Foundation

/// Decides, for a group of append requests taken together, which events are new, which are
/// retries, and what position and version each new event gets — or why a request fails.
///
/// Pure: no I/O, no locks. Every store gathers what the log already holds about the group's
/// event ids and streams (`Lookup`), calls `plan`, and then writes what it returned. That keeps
/// expectation and idempotency rules identical across stores.
public enum AppendPlanner {
    /// What the log holds about the ids and streams of a group.
    public struct Lookup: Sendable {
        /// Recorded events whose id appears in the group.
        public var known: [UUID: RecordedEvent] = [:]
        /// Current version of each stream of the group that exists.
        public var versions: [String: UInt64] = [:]
        public init(known: [UUID: RecordedEvent] = [:], versions: [String: UInt64] = [:]) {
            self.known = known
            self.versions = versions
        }
    }

    /// The plan for one request.
    public struct Planned: Sendable {
        /// One per proposed event: new position, or the original position of a retry.
        public var positions: [UInt64]
        /// The new events: index into the request, position and stream version.
        public var fresh: [(index: Int, position: UInt64, version: UInt64)]
    }

    /// Plans requests in order; a failed request does not affect the ones after it.
    /// Positions of new events run from `next` without gaps across the successful requests.
    public static func plan(_ requests: [[ProposedEvent]], next: UInt64, lookup: Lookup) -> [Result<Planned, EventStoreError>] {
        var next = next
        var groupVersions: [String: UInt64] = [:]
        var groupIds: [UUID: (position: UInt64, event: ProposedEvent)] = [:]
        var out: [Result<Planned, EventStoreError>] = []
        out.reserveCapacity(requests.count)
        for events in requests {
            var localVersions: [String: UInt64] = [:]
            var localIds: [UUID: (position: UInt64, event: ProposedEvent)] = [:]
            localIds.reserveCapacity(events.count)
            var planned = Planned(positions: [], fresh: [])
            planned.positions.reserveCapacity(events.count)
            planned.fresh.reserveCapacity(events.count)
            var failure: EventStoreError?
            let hasKnown = !lookup.known.isEmpty
            let hasGroup = !groupIds.isEmpty
            for (i, e) in events.enumerated() {
                if let prior = localIds[e.id] ?? (hasGroup ? groupIds[e.id] : nil) {
                    var original = prior.event
                    original.expected = e.expected
                    guard original == e else {
                        failure = .reusedId(e, position: prior.position)
                        break
                    }
                    planned.positions.append(prior.position)
                    continue
                }
                if hasKnown, let recorded = lookup.known[e.id] {
                    guard e.hasSameContent(as: recorded) else {
                        failure = .reusedId(e, position: recorded.position)
                        break
                    }
                    planned.positions.append(recorded.position)
                    continue
                }
                let current: UInt64? = localVersions[e.stream] ?? (hasGroup ? groupVersions[e.stream] : nil) ?? lookup.versions[e.stream]
                guard e.expected.isSatisfied(by: current) else {
                    failure = .wrongVersion(stream: e.stream, expected: e.expected, actual: current)
                    break
                }
                let version = current.map { $0 + 1 } ?? 0
                let position = next + UInt64(planned.fresh.count)
                localVersions[e.stream] = version
                localIds[e.id] = (position, e)
                planned.positions.append(position)
                planned.fresh.append((i, position, version))
            }
            if let failure {
                out.append(.failure(failure))
                continue
            }
            if requests.count > 1 {
                groupVersions.merge(localVersions) { $1 }
                groupIds.merge(localIds) { $1 }
            }
            next += UInt64(planned.fresh.count)
            out.append(.success(planned))
        }
        return out
    }
}
