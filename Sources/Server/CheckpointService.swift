import EventLog
import Foundation
import Logging
import ServiceLifecycle

/// Signs the log's head every `every` while the server runs (`presidio serve --checkpoint-key`):
/// appends the checkpoint to the log and writes it to `directory` as
/// `checkpoint-<position>.json`, for auditors to copy somewhere the log's writers cannot reach.
/// A log whose newest record is the last checkpoint is not signed again.
struct CheckpointService: Service {
    let store: any EventStore
    let key: SigningKey
    let every: Duration
    let directory: String
    let logger: Logger

    func run() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logger.info("signing a checkpoint every \(every) with key \(key.fingerprint) into \(directory)")
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            } catch { return }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            do {
                guard let c = try await Checkpoint.make(store: store, key: key, skipIfUnchanged: true) else { continue }
                let path = directory + "/checkpoint-\(c.position).json"
                try Data(c.fileText.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                logger.info("checkpoint signed at position \(c.position): \(path)")
            } catch let e as Checkpoint.MakeProblem {
                logger.debug("no checkpoint: \(e)")
            } catch {
                // A failed checkpoint never stops the service; the next interval tries again.
                logger.error("checkpoint failed: \(error)")
            }
        }
    }
}
