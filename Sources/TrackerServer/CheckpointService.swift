import Logging
import ServiceLifecycle
import TrackerSQLite

/// Moves the embedded store's write-ahead log into the database file every `interval`, off the
/// ingest path, and empties it at shutdown.
struct CheckpointService: Service {
    let store: SQLiteEventStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            do {
                try await store.checkpoint()
            } catch {
                logger.warning("checkpoint failed: \(error)")
            }
        }
        do {
            try await store.checkpoint(truncate: true)
        } catch {
            logger.warning("final checkpoint failed: \(error)")
        }
    }
}
