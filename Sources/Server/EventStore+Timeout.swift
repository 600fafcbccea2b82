import EventLog
import Foundation

extension EventStore {
    /// Waits for an append after `position` for at most `seconds`; whether one came. Long
    /// waits are cut into such slices so a loop can notice a shutdown or a gone client.
    func waitForAppend(after position: UInt64, seconds: Double) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { g in
            g.addTask {
                try await self.waitForAppend(after: position)
                return true
            }
            g.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return false
            }
            let first = try await g.next() ?? false
            g.cancelAll()
            return first
        }
    }
}
