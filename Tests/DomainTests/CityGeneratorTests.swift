@testable import Domain
import Crypto
import EventLog
import Foundation
import Testing

@Suite("City data set generator")
struct CityGeneratorTests {
    static func small(seed: UInt64, days: Int = 120) -> CityGenerator.Options {
        var o = CityGenerator.Options(seed: seed, days: days)
        o.bridges = 60
        o.wasteSites = 60
        o.buildings = 40
        return o
    }

    /// Runs the generator through the validator; returns a digest of everything emitted.
    static func run(_ o: CityGenerator.Options) async throws -> (digest: String, events: [ProposedEvent], truth: [GroundTruth]) {
        var validator = DemoValidator(seed: o.seed, now: o.end)
        var events: [ProposedEvent] = []
        var truth: [GroundTruth] = []
        var h = SHA256()
        try await CityGenerator(options: o).run(
            emit: { item in
                let e = try validator.proposed(item)
                h.update(data: Data(e.stream.utf8) + e.payload + Data(e.id.uuidString.utf8))
                events.append(e)
            },
            truth: { truth.append($0) })
        return (h.finalize().map { String(format: "%02x", $0) }.joined(), events, truth)
    }

    @Test func sameSeedSameDataOtherSeedOtherData() async throws {
        let a = try await Self.run(Self.small(seed: 42, days: 20))
        let b = try await Self.run(Self.small(seed: 42, days: 20))
        let c = try await Self.run(Self.small(seed: 43, days: 20))
        #expect(a.digest == b.digest)
        #expect(a.truth == b.truth)
        #expect(a.digest != c.digest)
    }

    @Test func everyEventIsValidAndTheStoreAcceptsThemAll() async throws {
        let o = Self.small(seed: 5)
        let (_, events, truth) = try await Self.run(o)
        let dir = TempDir()
        defer { dir.remove() }
        let store = try SegmentStore(directory: dir.path)
        defer { store.close() }
        for chunk in stride(from: 0, to: events.count, by: 2000) {
            try await store.append(Array(events[chunk..<min(events.count, chunk + 2000)]))
        }
        #expect(try await store.headPosition() == UInt64(events.count))
        #expect(try await store.verify().intact)
        // Scale of the (reduced) city: every asset is there.
        let streams = Set(events.map(\.stream))
        #expect(streams.filter { $0.hasPrefix("bridge-") }.count == 60)
        #expect(streams.filter { $0.hasPrefix("wastesite-") }.count == 60)
        #expect(streams.filter { $0.hasPrefix("meter-") }.count == 160)
        // One readings event per meter and day, 96 readings each.
        let readings = events.filter { $0.type == "MeterReadingsRecorded" }
        #expect(readings.count == 160 * o.days)
        // Every anomaly kind the detectors are scored on shows up at this size (120 days, May–Sept excluded
        // for heating out of season, so it is checked at full size in the benchmark instead).
        let kinds = Set(truth.map(\.kind))
        for k: GroundTruth.Kind in [.waterLeak, .gap, .dangerousDefect, .nonCompliance, .spike, .stuckMeter] {
            #expect(kinds.contains(k), "no \(k.rawValue) injected")
        }
    }

    @Test func schoolDaysHolidaysAndHeatingSeason() {
        #expect(!SchoolCalendar.isSchoolDay(year: 2025, month: 12, day: 25, weekday: 5))
        #expect(!SchoolCalendar.isSchoolDay(year: 2025, month: 7, day: 15, weekday: 3))
        #expect(!SchoolCalendar.isSchoolDay(year: 2025, month: 4, day: 21, weekday: 2))  // Easter Monday 2025
        #expect(SchoolCalendar.isSchoolDay(year: 2025, month: 3, day: 12, weekday: 4))
        #expect(SchoolCalendar.isHeatingSeason(month: 1, day: 10) && SchoolCalendar.isHeatingSeason(month: 10, day: 15))
        #expect(!SchoolCalendar.isHeatingSeason(month: 4, day: 16) && !SchoolCalendar.isHeatingSeason(month: 7, day: 1))
        #expect(SchoolCalendar.easter(2026) == (4, 5))
    }

    @Test func aLeakRaisesNightFlow() async throws {
        let o = Self.small(seed: 11, days: 60)
        let (_, events, truth) = try await Self.run(o)
        let leak = try #require(truth.first { $0.kind == .waterLeak })
        let day = String(leak.from.prefix(10))
        let payloads = events.filter { $0.stream == leak.stream && $0.type == "MeterReadingsRecorded" }
            .compactMap { try? JSONDecoder().decode(MeterReadingsRecorded.self, from: $0.payload) }
        func nightFlow(_ r: MeterReadingsRecorded) -> Double {
            // 01:00–04:00 register increase.
            guard let a = r.readings[4], let b = r.readings[16] else { return .nan }
            return b - a
        }
        let during = try #require(payloads.first { $0.observedAt.hasPrefix(day) })
        let before = payloads.filter { $0.observedAt < leak.from }.map(nightFlow).filter { !$0.isNaN }
        #expect(nightFlow(during) > (before.max() ?? 0) + 0.03)
    }
}
