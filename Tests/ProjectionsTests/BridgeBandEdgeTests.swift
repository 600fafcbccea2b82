@testable import Domain
import Foundation
@testable import Projections
import Testing

/// Issue 15, bridges 4: every [V] band edge of the bridge tables falls where the brief puts it
/// (bridges.md §4.2–4.3), with the current rule set; v1 keeps its old edges for what-if replays.
@Suite("Bridges: band edges of the [V] thresholds")
struct BridgeBandEdgeTests {
    static func rules(_ version: Int? = nil) throws -> BridgeRules {
        try RuleSetLoader.load(BridgeRules.self, name: "bridges", version: version, directory: Paths.rules)
    }

    @Test func longestSpanBandsAreAtMost5_5to15_15to25_andFrom25() throws {
        let r = try Self.rules()
        #expect(r.info.version >= 2)
        for (span, band) in [(4.99, 0), (5.0, 0), (5.01, 1), (15.0, 1), (15.01, 2), (24.99, 2), (25.0, 3), (25.01, 3), (80.0, 3)] {
            #expect(r.spanBand(span) == band, "\(span) m")
        }
        // The old edge, kept by v1 for replays under it.
        #expect(try Self.rules(1).spanBand(25.0) == 2)
    }

    @Test func aadtBandsAreBassaUpTo10000MediaUpTo25000AltaFrom25000() throws {
        let e = try Self.rules().exposure
        for (aadt, cls) in [(0, 3), (9_999, 3), (10_000, 3), (10_001, 2), (24_999, 2), (25_000, 1), (80_000, 1)] {
            #expect(e.aadtClass(aadt) == cls, "AADT \(aadt)")
        }
        #expect(try Self.rules(1).exposure.aadtClass(10_000) == 2)
    }

    @Test func meanSpanPeriodAndSeismicEdges() throws {
        let r = try Self.rules()
        func census(_ edit: (inout BridgeCensused) -> Void) throws -> BridgeCensused { try BridgeProjectionTests.census(edit) }
        // Mean span: small ≤ 20 m, medium 20–50 m, large > 50 m (the exposure trace names it).
        for (mean, expected) in [(20.0, 3), (20.5, 2), (50.0, 2), (50.5, 1)] {
            let c = try census {
                $0.spans = 2; $0.totalLength = mean * 2; $0.spanLengths = [mean, mean]; $0.aadt = 30_000
                $0.frequentPedestrians = false; $0.alternativeRoute = true; $0.crossedFeatureClass = .media
            }
            let a = try r.attentionClass(census: c, defectLevel: 5)
            // E10 = TGM class (Alta = 1) + mean-span class − 1, then no adjustment.
            #expect(a.exposure == 1 + expected - 1, "mean span \(mean)")
        }
        // Construction period: ≤ 1945, 1945–1980, ≥ 1980.
        for (year, period) in [(1945, "pre1945"), (1946, "1945to1980"), (1979, "1945to1980"), (1980, "post1980")] {
            let a = try r.attentionClass(
                census: try census {
                    $0.yearBuilt = year; $0.lastMajorInterventionYear = nil
                }, defectLevel: 3)
            #expect(a.trace.contains { $0.hasPrefix("V1 = \(period)[") }, "year \(year)")
        }
        // Seismic hazard bands on ag: ≥ 0.25, 0.15–0.25, 0.10–0.15, 0.05–0.10, < 0.05 (T1, subsoil A).
        for (ag, hazard) in [(0.25, 1), (0.2499, 2), (0.15, 2), (0.1499, 3), (0.10, 3), (0.0999, 4), (0.05, 4), (0.0499, 5)] {
            let a = try r.attentionClass(
                census: try census {
                    $0.seismicAg = ag; $0.topography = .T1; $0.subsoil = .A
                }, defectLevel: 5)
            #expect(a.seismicHazard == hazard, "ag \(ag)")
        }
    }
}
