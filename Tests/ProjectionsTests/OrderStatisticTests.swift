import Foundation
@testable import Projections
import Testing

/// The detectors' medians and percentiles (issue 16, meters 8: selected on the stack instead
/// of sorted on the heap) give what `sorted()[k]` gives.
@Suite("Order statistics of the meter references")
struct OrderStatisticTests {
    @Test func selectionAgreesWithSorting() {
        var g = SystemRandomNumberGenerator()
        for n in 1...40 {
            for _ in 0..<50 {
                // Few distinct values as well as many: references repeat themselves.
                let distinct = Int.random(in: 1...n, using: &g)
                let values = (0..<n).map { _ in Double(Int.random(in: 0..<distinct, using: &g)) * 0.25 }
                let sorted = values.sorted()
                for k in 0..<n { #expect(values.orderStatistic(k) == sorted[k], "\(values) k=\(k)") }
                let deviations = values.map { abs($0 - 1.1) }.sorted()
                #expect(values.orderStatistic(n / 2) { abs($0 - 1.1) } == deviations[n / 2])
                #expect(values.upperMedian == sorted[n / 2])
            }
        }
        #expect([Double]().upperMedian == nil)
    }

    @Test func aReferenceKeepsItsLastValues() {
        var a: [Double] = []
        for x in 0..<10 { a.appendKeepingLast(Double(x), limit: 4) }
        #expect(a == [6, 7, 8, 9])
    }

    /// A meter's open day keeps "no reading" apart from zero, in memory (NaN) and in snapshots
    /// (`null`, as before).
    @Test func anOpenDayWritesMissingSlotsAsNull() throws {
        let day = MeterDay(day: 20_000, start: 1_728_000_000, deltas: [0, .nan, 1.5], schoolDay: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = String(decoding: try enc.encode(day), as: UTF8.self)
        #expect(json.contains(#""deltas":[0,null,1.5]"#), "\(json)")
        let back = try JSONDecoder().decode(MeterDay.self, from: Data(json.utf8))
        #expect(back == day)
        #expect(back.filled == 2 && !back.isComplete)
    }
}
