import Crypto
import Foundation
import Synchronization
import Testing

@testable import EventLog

/// The hand-written fast paths of the log against the plain ones they replace.
@Suite("Fast paths: SHA-256, hash tables, planner, parallel work")
struct FastPathTests {
    /// Every length around the 55/56/64-byte padding boundaries and a few multi-block ones,
    /// split into three parts at varying points, against swift-crypto.
    @Test func sha256MatchesSwiftCrypto() {
        var rng = SystemRandomNumberGenerator()
        let lengths = Array(0...300) + [511, 512, 513, 1000, 4096, 65_537]
        for n in lengths {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Digest32(Data(SHA256.hash(data: bytes)))
            let cut1 = n == 0 ? 0 : Int.random(in: 0...n, using: &rng)
            let cut2 = cut1 == n ? n : Int.random(in: cut1...n, using: &rng)
            bytes.withUnsafeBytes { p in
                let a = UnsafeRawBufferPointer(rebasing: p[0..<cut1])
                let b = UnsafeRawBufferPointer(rebasing: p[cut1..<cut2])
                let c = UnsafeRawBufferPointer(rebasing: p[cut2..<n])
                #expect(FastSHA256.hash(a, b, c) == expected, "length \(n), cuts \(cut1)/\(cut2)")
                #expect(FastSHA256.portable(a, b, c) == expected, "length \(n)")
                #expect(FastSHA256.hash(p) == expected, "length \(n), one part")
            }
        }
    }

    /// Two messages hashed together (their blocks interleaved) against swift-crypto, for
    /// every pairing of lengths around the block and padding boundaries.
    @Test func sha256PairsMatchSwiftCrypto() {
        var rng = SystemRandomNumberGenerator()
        let lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 200, 256, 1000]
        for n in lengths {
            for m in lengths {
                let a = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let b = (0..<m).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let pair = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in FastSHA256.hashPair(pa, pb) } }
                #expect(pair.0 == Digest32(Data(SHA256.hash(data: a))), "lengths \(n), \(m)")
                #expect(pair.1 == Digest32(Data(SHA256.hash(data: b))), "lengths \(n), \(m)")
            }
        }
    }

    /// On this CI's machines the SHA extensions are present; if a run lands elsewhere the
    /// portable path is what runs, and the test above still checks it.
    @Test func reportsWhetherAccelerated() {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        // CPUID (CKernels) and the kernel's flags agree.
        #expect(FastSHA256.available == cpuinfo.contains(" sha_ni"))
    }

    /// The embedding program may turn the SHA extensions off (a value passed in, not an
    /// environment variable the library reads); the digests do not change.
    @Test func portableSwitchGivesTheSameDigests() {
        let inputs = [0, 55, 56, 64, 1000].map { n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) } }
        let fast = inputs.map { i in i.withUnsafeBytes { FastSHA256.hash($0) } }
        Kernels.usePortableSHA256(true)
        defer { Kernels.usePortableSHA256(false) }
        #expect(!Kernels.sha256Accelerated)
        #expect(inputs.map { i in i.withUnsafeBytes { FastSHA256.hash($0) } } == fast)
    }

    @Test func nameTableAssignsDenseIdsByBytes() {
        var t = NameTable()
        var ids: [String: Int] = [:]
        for i in 0..<5000 {
            let name = "meter-\(i % 2500)-é\(i % 7 == 0 ? "" : "x")"
            let (id, inserted) = t.insert(name)
            if let known = ids[name] {
                #expect(!inserted && id == known)
            } else {
                #expect(inserted && id == ids.count)
                ids[name] = id
            }
        }
        #expect(t.count == ids.count)
        for (name, id) in ids {
            #expect(t.find(name) == id)
            #expect(t.name(id) == name)
        }
        #expect(t.find("meter-none") == nil)
        // Canonically equivalent but different bytes are different names (as in PostgreSQL).
        let composed = "bridge-caf\u{E9}"
        let decomposed = "bridge-cafe\u{301}"
        #expect(composed == decomposed)
        let a = t.insert(composed)
        let b = t.insert(decomposed)
        #expect(a.inserted && b.inserted && a.id != b.id)
        #expect(t.insert("").inserted && t.find("") != nil)
    }

    @Test func idTableStoresOverwritesAndGrows() {
        var t = IdTable()
        var truth: [UUID: UInt64] = [:]
        for i in 1...20_000 {
            let id = UUID()
            t.set(id, UInt64(i))
            truth[id] = UInt64(i)
        }
        let some = Array(truth.keys.prefix(100))
        for (k, id) in some.enumerated() {
            t.set(id, UInt64(1_000_000 + k))
            truth[id] = UInt64(1_000_000 + k)
        }
        #expect(t.count == truth.count)
        for (id, v) in truth { #expect(t.find(id) == v) }
        #expect(t.find(UUID()) == nil)
        var seen = 0
        t.forEach { id, v in
            seen += 1
            #expect(truth[id] == v)
        }
        #expect(seen == truth.count)
    }

    /// Past 2 MiB the next size is made on another thread (`SpareSlots`); the table must grow
    /// through several such sizes without losing an entry, and a copy taken before a grow must
    /// keep its own contents when the original grows into the spare.
    @Test func idTableGrowsIntoSpareSlotsAndStaysAValue() {
        var t = IdTable()
        var ids: [UUID] = []
        let n = 300_000  // 16 → 1 M slots: 131 k, 262 k, 524 k and 1 M are made as spares
        for i in 1...n {
            let id = UUID()
            ids.append(id)
            t.set(id, UInt64(i))
            if i == 100_000 {
                let before = t
                let extra = UUID()
                t.set(extra, 7)
                #expect(before.find(extra) == nil && before.count == 100_000)
                #expect(t.find(extra) == 7)
                ids.append(extra)
            }
        }
        #expect(t.count == n + 1)
        for (k, id) in ids.enumerated() where k % 97 == 0 {
            let expected: UInt64 = k < 100_000 ? UInt64(k + 1) : (k == 100_000 ? 7 : UInt64(k))
            #expect(t.find(id) == expected)
        }
    }

    /// While entries move into the grown slots a few per insert, finds, overwrites, copies
    /// and `forEach` must all see one consistent table.
    @Test func idTableStaysConsistentWhileEntriesMove() {
        var t = IdTable()
        var ids: [UUID] = []
        var truth: [UUID: UInt64] = [:]
        func add(_ n: Int) {
            for _ in 0..<n {
                let id = UUID()
                ids.append(id)
                truth[id] = UInt64(ids.count)
                t.set(id, UInt64(ids.count))
            }
        }
        // 65,536 entries fill 131 k slots to half: the next insert grows to 262 k slots, and
        // the old entries move over the next 16 k inserts.
        add(70_000)
        let snapshot = t
        let snapshotTruth = truth
        // Overwrites of early and late ids while they are (or are not yet) moved.
        for k in stride(from: 0, to: 70_000, by: 7) {
            t.set(ids[k], 5_000_000 + UInt64(k))
            truth[ids[k]] = 5_000_000 + UInt64(k)
        }
        #expect(t.count == 70_000)
        for k in stride(from: 0, to: 70_000, by: 3) { #expect(t.find(ids[k]) == truth[ids[k]]) }
        add(30_000)  // the move completes
        #expect(t.count == 100_000)
        for (id, v) in truth { #expect(t.find(id) == v) }
        var seen = 0
        t.forEach { id, v in
            seen += 1
            #expect(truth[id] == v)
        }
        #expect(seen == truth.count)
        // The copy taken mid-move kept its own entries and values.
        #expect(snapshot.count == 70_000)
        var snapSeen = 0
        snapshot.forEach { id, v in
            snapSeen += 1
            #expect(snapshotTruth[id] == v)
        }
        #expect(snapSeen == 70_000)
        for k in stride(from: 0, to: 70_000, by: 7) { #expect(snapshot.find(ids[k]) == UInt64(k + 1)) }
        #expect(snapshot.find(ids[80_000]) == nil)
    }

    /// A large batch is ordered by home slot (a permutation, in non-decreasing slot bucket),
    /// and batch look-ups in that order find what single look-ups find.
    @Test func idTableSlotOrderIsAPermutationInSlotOrder() {
        var t = IdTable()
        var ids: [UUID] = []
        for i in 1...50_000 {
            let id = UUID.random()
            ids.append(id)
            t.set(id, UInt64(i))
        }
        let batch = ids[10_000..<14_000].map { $0 } + (0..<1_000).map { _ in UUID.random() }
        let order = t.slotOrder(batch.count) { batch[$0] }
        #expect(Set(order).count == batch.count && order.allSatisfy { $0 >= 0 && Int($0) < batch.count })
        var index = StreamIndex()
        for (k, id) in (ids.prefix(40_000) + batch.prefix(4_000)).enumerated() where k < 10_000 || k >= 14_000 {
            index.add(position: UInt64(index.position + 1), stream: "s-\(k % 7)", id: id)
        }
        let found = index.positions(ofEventIds: batch.count) { batch[$0] }
        for k in 0..<batch.count { #expect(found[k] == index.position(ofEventId: batch[k])) }
        #expect(found.prefix(4_000).allSatisfy { $0 != nil } && found.suffix(1_000).allSatisfy { $0 == nil })
        // Small batches keep their order.
        #expect(t.slotOrder(10) { ids[$0] } == Array(0..<10))
    }

    @Test func spareSlotsAreZeroAndOfTheSizeAsked() {
        let spare = SpareSlots<UInt64>()
        spare.request(count: 1 << 19)
        spare.request(count: 1 << 19)  // already being made: no second one
        #expect(spare.take(count: 1 << 18) == nil)
        guard let slots = spare.take(count: 1 << 19) else {
            Issue.record("no spare of the size asked")
            return
        }
        #expect(slots.count == 1 << 19)
        #expect((0..<slots.count).allSatisfy { slots.base[$0] == 0 })
        #expect(spare.take(count: 1 << 19) == nil)  // taken once
    }

    /// A failed request in the middle of a group leaves no trace: its stream versions are
    /// rolled back and its ids may be used by a later request of the same group.
    @Test func plannerUndoesAFailedRequest() {
        func e(_ stream: String, _ expected: ExpectedVersion = .any, id: UUID = UUID()) -> ProposedEvent {
            ProposedEvent(id: id, stream: stream, type: "T", payload: Data("{}".utf8), actor: "t", expected: expected)
        }
        let reused = UUID()
        let requests: [[ProposedEvent]] = [
            [e("a-1"), e("b-1")],
            [e("a-1"), e("c-1", id: reused), e("b-1", .exact(7))],  // fails on b-1
            [e("a-1", .exact(0)), e("c-1", .noStream, id: reused)],  // sees a-1 at 0 (not 1), c-1 absent
            [e("b-1", .exact(0))],
        ]
        let plans = AppendPlanner.plan(requests, next: 10, lookup: .init(versions: ["b-1": 41]))
        guard case .success(let p0) = plans[0], case .failure(let f1) = plans[1], case .success(let p2) = plans[2],
            case .failure(let f3) = plans[3]
        else {
            Issue.record("unexpected outcomes \(plans)")
            return
        }
        #expect(p0.positions == [10, 11])
        #expect(p0.fresh.map(\.version) == [0, 42])
        #expect("\(f1)".contains("b-1"))
        #expect(p2.positions == [12, 13])
        #expect(p2.fresh.map(\.version) == [1, 0])
        #expect("\(f3)".contains("42"))  // b-1 is at 42 after request 0, not 0
    }

    /// The writer indexes a commit while its fdatasync runs: readers must never see an event
    /// before it is durable (never past the head), and must see it as soon as it is
    /// acknowledged. Big batches from several appenders keep the sync stage busy; small ones
    /// take the inline path.
    @Test func readersNeverSeePastTheDurableHead() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = try SegmentStore(directory: dir.path, options: .init(segmentSize: 256 << 10))
        defer { store.close() }
        final class Flag: Sendable {
            let value = Mutex(false)
        }
        let done = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<3 {
                group.addTask {
                    for k in 0..<40 {
                        let size = k % 3 == 0 ? 300 : 1 + k % 5
                        let batch = (0..<size).map { i in
                            ProposedEvent(stream: "meter-\((w * 7 + i) % 5)", type: "T", payload: Data(#"{"k":\#(k)}"#.utf8))
                        }
                        let r = try await store.append(batch)
                        // Read-your-writes, by stream and by id, right after the acknowledgement.
                        let last = batch[batch.count - 1]
                        #expect(try await store.position(ofEventId: last.id) == r.positions.last)
                        let version = try #require(try await store.streamVersion(last.stream))
                        let tail = try await store.readStream(last.stream, from: version, limit: 1)
                        #expect(tail.count == 1 && tail[0].position >= r.positions.last!)
                    }
                }
            }
            group.addTask {
                while !done.value.withLock({ $0 }) {
                    let stream = try await store.readStream("meter-0", from: 0, limit: 100_000)
                    let category = try await store.readCategory("meter", from: 1, limit: 100_000)
                    let version = try await store.streamVersion("meter-0")
                    let head = try await store.headPosition()
                    #expect(stream.allSatisfy { $0.position <= head })
                    #expect(category.allSatisfy { $0.position <= head })
                    #expect(version.map { Int($0) + 1 } ?? 0 <= stream.count + 1_000)
                    #expect(stream.enumerated().allSatisfy { UInt64($0.offset) == $0.element.version })
                }
            }
            for _ in 0..<3 { try await group.next() }
            done.value.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(try await store.verify().intact)
    }

    /// Large commits take the pipelined path: the helper indexes while the writer chains, and
    /// blocks are sealed by whichever thread claims them once the chain has passed them. With
    /// small blocks every commit spans many; streams are old, new and repeated within a batch.
    @Test func largeCommitsSpanningManyBlocksReadBackIndexAndVerify() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var options = SegmentStore.Options(segmentSize: 1 << 20)
        options.maxBlockBytes = 4096
        var expected: [(stream: String, payload: Data)] = []
        do {
            let store = try SegmentStore(directory: dir.path, options: options)
            defer { store.close() }
            _ = try await store.append([ProposedEvent(stream: "meter-0", type: "T", payload: Data(#"{"first":true}"#.utf8))])
            expected.append(("meter-0", Data(#"{"first":true}"#.utf8)))
            for round in 0..<6 {
                let batch = (0..<(600 + round * 150)).map { i in
                    // A few streams that repeat inside the batch, and new ones each round.
                    let stream = i % 3 == 0 ? "meter-\(i % 7)" : "site_\(round)-\(i)"
                    return ProposedEvent(
                        stream: stream, type: "T",
                        payload: Data(#"{"round":\#(round),"i":\#(i),"pad":"\#(String(repeating: "y", count: i % 90))"}"#.utf8),
                        expected: i == 0 && round == 0 ? .exact(0) : .any)
                }
                let r = try await store.append(batch)
                #expect(r.appended == batch.count)
                #expect(r.positions == Array(UInt64(expected.count + 1)...UInt64(expected.count + batch.count)))
                expected += batch.map { ($0.stream, $0.payload) }
                if round == 2 {
                    // Half retries, half new: the records laid out before planning no longer
                    // match, and the commit is encoded again from the plan.
                    let fresh = (0..<400).map { i in
                        ProposedEvent(stream: "retry-\(i % 9)", type: "T", payload: Data(#"{"again":\#(i)}"#.utf8))
                    }
                    let mixed = zip(batch.prefix(400), fresh).flatMap { [$0.0, $0.1] }
                    let again = try await store.append(mixed)
                    #expect(again.appended == 400)
                    #expect(stride(from: 0, to: 800, by: 2).allSatisfy { again.positions[$0] == r.positions[$0 / 2] })
                    #expect(again.positions.last == UInt64(expected.count + 400))
                    expected += fresh.map { ($0.stream, $0.payload) }
                }
            }
            #expect(try await store.verify().intact)
        }
        // Reopened: everything reads back in order, and the index (stream versions, categories,
        // ids) agrees with the log.
        let store = try SegmentStore(directory: dir.path, options: options)
        defer { store.close() }
        let all = try await store.read(from: 1, limit: 100_000)
        #expect(all.count == expected.count)
        #expect(zip(all, expected).allSatisfy { $0.0.stream == $0.1.stream && $0.0.payload == $0.1.payload })
        var versions: [String: UInt64] = [:]
        for e in all {
            let v = versions[e.stream].map { $0 + 1 } ?? 0
            #expect(e.version == v)
            versions[e.stream] = v
        }
        for (stream, v) in versions where stream.hasPrefix("meter-") || stream.hasSuffix("-7") {
            #expect(try await store.streamVersion(stream) == v)
            #expect(try await store.readStream(stream, from: 0, limit: 100_000).map(\.version) == Array(0...v))
        }
        #expect(try await store.readCategory("site_3", from: 1, limit: 100_000).count == all.filter { $0.stream.hasPrefix("site_3-") }.count)
        #expect(try await store.position(ofEventId: all[all.count / 2].id) == all[all.count / 2].position)
        #expect(try await store.verify().intact)
    }

    /// Payload digests come from the appender, or (writer busy) from the chain itself, each
    /// alongside the hash before it; a group may mix both. The bytes must not differ.
    @Test func chainComputesMissingDigestsToTheSameBytes() {
        let events: [[ProposedEvent]] = (0..<3).map { r in
            (0..<(r == 1 ? 1 : 300)).map { i in
                ProposedEvent(
                    stream: "meter-\(i % 4)", type: "T",
                    payload: Data(#"{"r":\#(r),"i":\#(i),"pad":"\#(String(repeating: "z", count: (i * 37) % 300))"}"#.utf8))
            }
        }
        var records: [CommitEncoder.Record] = []
        for (r, batch) in events.enumerated() {
            for i in batch.indices {
                records.append(.init(request: r, index: i, position: UInt64(records.count + 1), version: UInt64(i), recordedAt: 42))
            }
        }
        let all = events.map { $0.map { RecordCodec.payloadDigest($0.payload) } }
        for given in [[true, true, true], [false, false, false], [true, false, true], [false, true, false]] {
            let digests = zip(all, given).map { $1 ? $0 : [] }
            for blockBytes in [1 << 10, 128 << 10] {
                let a = CommitEncoder.encode(records, events: events, digests: all, previous: Digest32(), maxBlockBytes: blockBytes)
                let b = CommitEncoder.encode(records, events: events, digests: digests, previous: Digest32(), maxBlockBytes: blockBytes)
                #expect(a.lastHash == b.lastHash, "\(given)")
                #expect(a.blocks.count == b.blocks.count)
                #expect((0..<a.blocks.count).allSatisfy { Array(a.blocks[$0]) == Array(b.blocks[$0]) }, "\(given) \(blockBytes)")
            }
        }
    }

    /// The SIMD and SWAR string scans must stop at every byte that matters, wherever it sits
    /// relative to their 16- and 8-byte steps.
    @Test func jsonStringScanStopsAtEverySpecialByteAtEveryOffset() {
        let cases: [(bytes: [UInt8], valid: Bool)] = [
            ([0x22], false),  // a quote ends the string early: what follows is not JSON
            ([0x5C, 0x6E], true),  // \n
            ([0x5C, 0x75, 0x30, 0x30, 0x34, 0x31], true),  // \u0041
            ([0x5C, 0x71], false),  // \q
            ([0x01], false),
            ([0x1F], false),
            ([0x7F], true),
            ([0xC3, 0xA9], true),  // é
            ([0xFF], false),
            ([0xC3], false),
        ]
        for (bytes, valid) in cases {
            for offset in 0..<40 {
                for after in [0, 1, 17] {
                    var d = Data(#"{"k":""#.utf8)
                    d.append(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: offset))
                    d.append(contentsOf: bytes)
                    d.append(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: after))
                    d.append(contentsOf: Array(#""}"#.utf8))
                    #expect((JSONSyntax.objectProblem(d) == nil) == valid, "\(bytes) at \(offset), \(after) after")
                }
            }
        }
    }

    @Test func timeOrderedIdsAreVersion7SortedByMillisecondAndUnique() {
        // Mid-millisecond instants, so binary floating point cannot round across a boundary.
        let t0 = Date(timeIntervalSince1970: 1_790_000_000.1235)
        var seen = Set<UUID>()
        var previous = ""
        for k in 0..<2000 {
            let id = UUID.timeOrdered(now: t0.addingTimeInterval(Double(k / 10) / 1000))
            let text = id.uuidString.lowercased()
            #expect(Array(text)[14] == "7", "version nibble of \(text)")
            #expect("89ab".contains(Array(text)[19]), "variant of \(text)")
            let millis = UInt64(text.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)!
            #expect(millis == 1_790_000_000_123 + UInt64(k / 10))
            if k % 10 == 0 { #expect(text > previous) }  // a later millisecond sorts after
            previous = text
            #expect(seen.insert(id).inserted)
        }
    }

    /// `topLevelMembers` validates in its single pass exactly what `objectProblem` refuses.
    @Test func topLevelMembersAcceptsExactlyTheValidObjects() {
        let cases = [
            #"{}"#, #" { } "#, #"{"a":1}"#, #"{"a":1,"b":{"c":[1,2,{"d":null}]},"e":"x\"y"}"#, #"{"k\u00e9y" : true }"#,
            #"{"a":1} x"#, #"{"a" 1}"#, #"{"a":1"#, #"{"a":1,}"#, #"{a:1}"#, #"[1]"#, #""#, #"{"a":}"#, #"{"a":1}}"#,
            #"{"a":tru}"#, #"{"a":1,"b":[1,}"#, "{\"a\":\"\u{1}\"}",
        ]
        for c in cases {
            let d = Data(c.utf8)
            let members = JSONSyntax.topLevelMembers(d)
            #expect((members != nil) == (JSONSyntax.objectProblem(d) == nil), "\(c)")
        }
        let line = Data(#" {"a": 1 , "k\u00e9y":"v", "n":{"x":[1]} } "#.utf8)
        let m = JSONSyntax.topLevelMembers(line)!
        #expect(m.map(\.key) == ["a", "kéy", "n"])
        #expect(m.map { String(decoding: line[$0.value], as: UTF8.self) } == ["1", #""v""#, #"{"x":[1]}"#])
    }

    @Test func parallelRunsEveryPieceOnce() {
        for n in [0, 1, 2, 3, 17] {
            let counts = Mutex<[Int]>(Array(repeating: 0, count: n))
            Parallel.perform(n) { i in counts.withLock { $0[i] += 1 } }
            #expect(counts.withLock { $0 } == Array(repeating: 1, count: n))
        }
    }
}

@Suite("Helper threads")
struct ParallelPoolTests {
    @Test func atMostFourWaysAndHelpersStopWithTheLastStore() async throws {
        #expect(Parallel.helpers == min(3, max(1, Parallel.cores - 1)))
        let dir = TempDirectory("pool")
        defer { dir.remove() }
        let store = try SegmentStore(directory: dir.path)
        #expect(Parallel.load.running == Parallel.helpers)
        let squares = Parallel.map(8) { $0 * $0 }
        #expect(squares == (0..<8).map { $0 * $0 })
        store.close()
        // Other suites may hold stores open meanwhile; when none does, the helpers are gone.
        var stopped = false
        for _ in 0..<200 where !stopped {
            let l = Parallel.load
            stopped = l.users > 0 || l.running == 0
            if !stopped { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        #expect(stopped, "helpers still running with no store open: \(Parallel.load)")
        // Without a store the caller does the work itself.
        #expect(Parallel.map(5) { $0 + 1 } == [1, 2, 3, 4, 5])
    }
}
