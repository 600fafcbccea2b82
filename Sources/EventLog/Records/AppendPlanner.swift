import Foundation

/// Decides, for a group of append requests taken together, which events are new, which are
/// retries, and what position and version each new event gets — or why a request fails.
///
/// Pure: no I/O, no locks. Every store gathers what the log already holds about the group's
/// event ids and streams (`Lookup`), calls `plan`, and then writes what it returned. That keeps
/// expectation and idempotency rules identical across stores.
package enum AppendPlanner {
    /// What the log holds about the ids and streams of a group.
    public struct Lookup: Sendable {
        /// Recorded events whose id appears in the group.
        public var known: [UUID: RecordedEvent] = [:]
        /// The group's streams, numbered densely, and the current version of each (nil: no
        /// such stream). Names compare by their bytes.
        var streams = NameTable()
        var versions: [UInt64?] = []
        /// When not empty: `eventStreams[r][i]` is the number in `streams` of the stream of
        /// event `i` of request `r`, resolved by the store already (then `plan` hashes no names).
        var eventStreams: [[Int32]] = []
        public init(known: [UUID: RecordedEvent] = [:], versions: [String: UInt64] = [:]) {
            self.known = known
            for (k, v) in versions { setVersion(v, of: k) }
        }
        public mutating func setVersion(_ version: UInt64, of stream: String) {
            let (k, isNew) = streams.insert(stream)
            if isNew { versions.append(version) } else { versions[k] = version }
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
    ///
    /// Each distinct stream of the group gets a dense number (one byte-hash per event) and its
    /// version lives in an array; a failed request's changes are undone from a small log. This
    /// keeps planning a 1,000-event batch well under a microsecond per event.
    public static func plan(_ requests: [[ProposedEvent]], next: UInt64, lookup: Lookup) -> [Result<Planned, EventStoreError>] {
        var next = next
        var streams = lookup.streams
        /// Version of each group stream after the requests planned so far (nil: no stream yet).
        var versions = lookup.versions
        /// Event ids of the group → 1 + index into `placed`.
        var ids = IdTable()
        ids.reserve(requests.reduce(0) { $0 + $1.count })
        var placed: [(position: UInt64, request: Int, index: Int)] = []
        var failedRequest: [Bool] = Array(repeating: false, count: requests.count)
        let hasKnown = !lookup.known.isEmpty
        let resolved = !lookup.eventStreams.isEmpty
        var out: [Result<Planned, EventStoreError>] = []
        out.reserveCapacity(requests.count)
        for (r, events) in requests.enumerated() {
            var undo: [(stream: Int, version: UInt64?)] = []
            var planned = Planned(positions: [], fresh: [])
            planned.positions.reserveCapacity(events.count)
            planned.fresh.reserveCapacity(events.count)
            var failure: EventStoreError?
            // Fields are read in place (`events[i].id`): copying each event costs five
            // reference counts up and down, which showed in append profiles.
            for i in events.indices {
                let id = events[i].id
                if let slot = ids.find(id), case let prior = placed[Int(slot - 1)], !failedRequest[prior.request] {
                    let e = events[i]
                    var original = requests[prior.request][prior.index]
                    original.expected = e.expected
                    guard original == e else {
                        failure = .reusedId(e, position: prior.position)
                        break
                    }
                    planned.positions.append(prior.position)
                    continue
                }
                if hasKnown, let recorded = lookup.known[id] {
                    guard events[i].hasSameContent(as: recorded) else {
                        failure = .reusedId(events[i], position: recorded.position)
                        break
                    }
                    planned.positions.append(recorded.position)
                    continue
                }
                let (k, isNew) = resolved ? (Int(lookup.eventStreams[r][i]), false) : streams.insert(events[i].stream)
                if isNew { versions.append(nil) }
                let current = versions[k]
                let expected = events[i].expected
                guard expected.isSatisfied(by: current) else {
                    failure = .wrongVersion(stream: events[i].stream, expected: expected, actual: current)
                    break
                }
                let version = current.map { $0 + 1 } ?? 0
                let position = next + UInt64(planned.fresh.count)
                undo.append((k, current))
                versions[k] = version
                placed.append((position, r, i))
                ids.set(id, UInt64(placed.count))
                planned.positions.append(position)
                planned.fresh.append((i, position, version))
            }
            if let failure {
                for u in undo.reversed() { versions[u.stream] = u.version }
                failedRequest[r] = true
                out.append(.failure(failure))
                continue
            }
            next += UInt64(planned.fresh.count)
            out.append(.success(planned))
        }
        return out
    }
}
