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
        let o = Self.small(seed: 7)
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
        // Every reading of every meter is there, in batches of the gateways' shapes: 15-minute
        // and hourly meters, batches of a day, half a day, several days or 37 readings, some
        // starting a few minutes past the quarter hour (issue 16, meters 9).
        let batches = events.filter { $0.type == "MeterReadingsRecorded" }.map {
            try! JSONDecoder().decode(MeterReadingsRecorded.self, from: $0.payload)
        }
        let installed = events.filter { $0.type == "MeterInstalled" }.map { try! JSONDecoder().decode(MeterInstalled.self, from: $0.payload) }
        let perDay = Dictionary(uniqueKeysWithValues: installed.map { ($0.meterId, 24 * 60 / $0.intervalMinutes) })
        let counts = Dictionary(grouping: batches, by: \.meterId).mapValues { $0.reduce(0) { $0 + $1.readings.count } }
        #expect(counts.count == 160)
        for (id, n) in counts { #expect(n == (perDay[id] ?? 0) * o.days, "\(id): \(n) readings") }
        #expect(Set(installed.map(\.intervalMinutes)) == [15, 60])
        #expect(Set(batches.map { $0.readings.count * $0.intervalMinutes / 15 }).count >= 4, "batch lengths")
        #expect(batches.contains { !$0.observedAt.hasSuffix(":00:00Z") && !$0.observedAt.hasSuffix("5:00Z") && !$0.observedAt.hasSuffix("0:00Z") })
        #expect(batches.contains { $0.readings.count * $0.intervalMinutes > 24 * 60 })
        // Every anomaly kind the detectors are scored on shows up at this size with this seed
        // (120 days ending on 1 January: no heating out of season, checked at full size in the
        // benchmark instead).
        let kinds = Set(truth.map(\.kind))
        for k: GroundTruth.Kind in [.waterLeak, .gap, .dangerousDefect, .nonCompliance, .spike, .stuckMeter, .outOfHours, .rollover] {
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
        let batches = events.filter { $0.stream == leak.stream && $0.type == "MeterReadingsRecorded" }
            .compactMap { try? JSONDecoder().decode(MeterReadingsRecorded.self, from: $0.payload) }
        // Register values by time, whatever the batches.
        var series: [(Date, Double)] = []
        for b in batches {
            let start = try #require(DomainTime.dateTime(b.observedAt))
            for (i, v) in b.readings.enumerated() {
                if let v { series.append((start.addingTimeInterval(Double(i * b.intervalMinutes * 60)), v)) }
            }
        }
        // Consumption between 01:00 and 04:00 local time of the night after a local midnight
        // (the truth's `from` is one): the first readings at or after those times.
        func nightFlow(_ midnight: Date) -> Double? {
            let a = series.first { $0.0 >= midnight.addingTimeInterval(3600) }
            let b = series.first { $0.0 >= midnight.addingTimeInterval(4 * 3600) }
            guard let a, let b, b.0.timeIntervalSince(a.0) == 3 * 3600 else { return nil }
            return b.1 - a.1
        }
        let from = try #require(DomainTime.dateTime(leak.from))
        let during = try #require(nightFlow(from.addingTimeInterval(86400)))
        let before = (1...10).compactMap { nightFlow(from.addingTimeInterval(-86400 * Double($0))) }
        #expect(!before.isEmpty)
        #expect(during > (before.max() ?? 0) + 0.03, "\(during) against \(before)")
    }
}
