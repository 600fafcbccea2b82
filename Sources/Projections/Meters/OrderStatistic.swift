import Foundation

extension Array where Element == Double {
    /// The `k`-th smallest value (0-based), as `sorted()[k]` gives it, selected in a scratch
    /// buffer on the stack: the day detectors ask for medians of their references every day of
    /// every meter, and a sorted copy on the heap each time showed in the rebuild's profile.
    func orderStatistic(_ k: Int) -> Double { orderStatistic(k) { $0 } }

    /// The `k`-th smallest of the values `transform` makes of these (a median of deviations,
    /// without an array of them).
    func orderStatistic(_ k: Int, of transform: (Double) -> Double) -> Double {
        precondition(k >= 0 && k < count, "order statistic \(k) of \(count) values")
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { scratch in
            let a = scratch
            for i in indices { (a.baseAddress! + i).initialize(to: transform(self[i])) }
            // Wirth's selection (Hoare's partition around a[k], narrowing to the side that
            // holds k): linear on average, and no heap memory.
            var lo = 0
            var hi = a.count - 1
            while lo < hi {
                let x = a[k]
                var i = lo
                var j = hi
                repeat {
                    while a[i] < x { i += 1 }
                    while x < a[j] { j -= 1 }
                    if i <= j {
                        a.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                } while i <= j
                if j < k { lo = i }
                if k < i { hi = j }
            }
            return a[k]
        }
    }

    /// The upper median, `sorted()[count / 2]` (nil when empty).
    var upperMedian: Double? { isEmpty ? nil : orderStatistic(count / 2) }

    /// Appends `value`, keeping only the last `limit` values.
    mutating func appendKeepingLast(_ value: Double, limit: Int) {
        append(value)
        if count > limit { removeFirst(count - limit) }
    }
}
