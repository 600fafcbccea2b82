import EventLog
import Foundation

/// What a timed run of concurrent appenders measured.
struct TimedAppends {
    var seconds: Double
    /// Microseconds per append call, sorted.
    var latencies: [Double]
    var p50: Double { latencies[latencies.count / 2] }
    var p99: Double { latencies[latencies.count * 99 / 100] }

    /// Each task appends its batches in order; returns wall time and every call's latency.
    static func run(_ store: any EventStore, batchesPerTask: [[[ProposedEvent]]]) async throws -> TimedAppends {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for batches in batchesPerTask {
                group.addTask {
                    var lat: [Double] = []
                    lat.reserveCapacity(batches.count)
                    for batch in batches {
                        let s = DispatchTime.now().uptimeNanoseconds
                        _ = try await store.append(batch)
                        lat.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1000)
                    }
                    return lat
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all.sorted()
        }
        return TimedAppends(seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, latencies: latencies)
    }
}
