@testable import Domain
import EventLog
import Foundation
@testable import Projections
import Testing

@Suite("Meter projection")
struct MeterProjectionTests {
    static func rules() throws -> MeterRules { try RuleSetLoader.load(MeterRules.self, name: "meters", directory: Paths.rules) }

    static func recorded(_ e: any DomainEvent, position: UInt64) throws -> RecordedEvent {
        RecordedEvent(
            position: position, stream: e.stream, version: 0, id: UUID(), type: type(of: e).eventType, schemaVersion: 1, recordedAt: 0, actor: "t",
            correlationId: nil, causationId: nil, metadata: Data("{}".utf8), payload: try e.payload(), hash: Data(count: 32))
    }

    /// Feeds a water meter `days` days of quiet nights, then `leakDays` days with a leak.
    func waterMeter(days: Int, leakFrom: Int?, litresPerHour: Double = 30, gapOn: Int? = nil) throws -> MeterProjection.State {
        var feeder = Feeder(MeterProjection(rules: try Self.rules()))
        func feed(_ e: any DomainEvent) throws { try feeder.feed(e) }
        try feed(TariffSet(kind: .water, observedAt: "2025-01-01", pricePerUnitEUR: 2))
        try feed(
            MeterInstalled(
                meterId: "SC0001-W1", buildingId: "SC0001", observedAt: "2025-01-31T00:00:00Z", kind: .water, unit: "m3", registerDigits: 6,
                multiplier: 1, intervalMinutes: 15, initialReading: 100, usage: .water))
        var register = 100.0
        let start = DomainTime.date("2025-02-01")!
        for d in 0..<days {
            var readings: [Double?] = []
            for i in 0..<96 {
                let hour = i / 4
                var c = (hour >= 8 && hour < 16) ? 0.05 : (i % 3 == 0 ? 0.001 : 0)
                if let l = leakFrom, d >= l { c += litresPerHour / 1000 / 4 }
                register += c
                readings.append(gapOn == d && (20..<40).contains(i) ? nil : (register * 1000).rounded() / 1000)
            }
            try feed(
                MeterReadingsRecorded(
                    meterId: "SC0001-W1", observedAt: DomainTime.timestampString(start.addingTimeInterval(Double(d) * 86400)), intervalMinutes: 15,
                    readings: readings, resets: nil))
        }
        return feeder.state
    }

    @Test func aLeakFiresAfterThePendingNightsAndNotBefore() throws {
        let quiet = try waterMeter(days: 30, leakFrom: nil)
        #expect(quiet.alerts.values.filter { $0.rule == "meter.waterLeak" }.isEmpty)
        let leaking = try waterMeter(days: 30, leakFrom: 20)
        let leaks = leaking.alerts.values.filter { $0.rule == "meter.waterLeak" }
        #expect(leaks.count == 1)
        // Night 20 is pending, night 21 fires (pendingNights = 2).
        #expect(leaks.first?.raisedOn == "2025-02-22")
        #expect(leaks.first?.evidence.contains("L/h at night") == true)
        #expect(leaks.first?.evidence.contains("€/day at 2.00 €/m³") == true)
        #expect(leaks.first?.state == .firing)
    }

    @Test func aClosedGapIsAGapNotASpike() throws {
        let s = try waterMeter(days: 30, leakFrom: nil, gapOn: 25)
        let rules = Set(s.alerts.values.map(\.rule))
        #expect(rules == ["meter.gap"])
        let gap = try #require(s.alerts.values.first)
        #expect(gap.state == .resolved)
        #expect(gap.raisedAt == "2025-02-26T05:00:00Z")
    }

    @Test func detectorsFindEveryInjectedAnomalyOfASmallCity() async throws {
        var o = CityGenerator.Options(seed: 9, days: 150)
        o.bridges = 5
        o.wasteSites = 5
        o.buildings = 60
        var validator = DemoValidator(seed: 9, now: o.end)
        var truth: [GroundTruth] = []
        let p = MeterProjection(rules: try Self.rules())
        var state = p.initialState()
        var position: UInt64 = 0
        try await CityGenerator(options: o).run(
            emit: { item in
                let e = try validator.proposed(item)
                position += 1
                if e.stream.hasPrefix("meter-") || e.stream.hasPrefix("building-") {
                    let r = RecordedEvent(
                        position: position, stream: e.stream, version: 0, id: e.id, type: e.type, schemaVersion: 1, recordedAt: 0, actor: "t",
                        correlationId: nil, causationId: nil, metadata: e.metadata, payload: e.payload, hash: Data(count: 32))
                    try p.apply(r, try Catalog.decode(r), to: &state)
                }
            }, truth: { truth.append($0) })
        let scores = DetectionScorer.score(truth: truth.filter { $0.stream.hasPrefix("meter-") }, alerts: Array(state.alerts.values))
        for s in scores where s.truths > 0 {
            #expect(s.recall == 1, "\(s.kind): recall \(s.recall ?? 0)")
            #expect(s.precision == 1, "\(s.kind): precision \(s.precision ?? 0)")
        }
        #expect(scores.filter { $0.truths > 0 }.count >= 5)
        // Every value an alert quotes carries its unit (issue 15, first hour).
        for a in state.alerts.values where ["meter.counterRegression", "meter.spike", "meter.drift", "meter.rollover"].contains(a.rule) {
            #expect([" kWh", " Sm3", " m3"].contains { a.evidence.contains($0) }, "\(a.rule): \(a.evidence)")
        }
    }
}

/// Applies domain events to a projection directly (no store), numbering their positions.
struct Feeder<P: Projection> {
    let projection: P
    var state: P.State
    var position: UInt64 = 0

    init(_ projection: P) {
        self.projection = projection
        state = projection.initialState()
    }

    mutating func feed(_ e: any DomainEvent) throws {
        position += 1
        try projection.apply(try MeterProjectionTests.recorded(e, position: position), e, to: &state)
    }
}
