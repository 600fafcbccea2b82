/// Catch-up then live delivery of the log from a position.
///
/// It is one cursor over `read(from:limit:)`: when a read comes back empty it waits for the
/// head to move and reads again from the same next position. Since it never switches to a
/// separate live channel there is no switch-over moment at which an event could be missed
/// or delivered twice.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent
    let store: any EventStore
    let from: UInt64
    let batchSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let store: any EventStore
        var next: UInt64
        let batchSize: Int
        var buffer: [RecordedEvent] = []
        var index = 0

        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if index < buffer.count {
                    defer { index += 1 }
                    return buffer[index]
                }
                try Task.checkCancellation()
                buffer = try await store.read(from: next, limit: batchSize)
                index = 0
                if let last = buffer.last {
                    next = last.position + 1
                } else {
                    try await store.waitForAppend(after: next - 1)
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, next: Swift.max(from, 1), batchSize: batchSize)
    }
}
