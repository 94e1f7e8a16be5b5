import Logging
import ServiceLifecycle
import TrackerSQLite
import TrackerStorage

/// Moves the embedded store's write-ahead log into the database file every `interval`, off the
/// ingest path, and empties it at shutdown.
struct CheckpointService: Service {
    /// Small and often: a checkpoint ends with an fsync of the database file, and the log's
    /// fsyncs (which every answer waits for) queue behind it on the disk. Once a second, that
    /// fsync carried a second of writes (10+ MB under load) and the log's fsyncs took up to
    /// 0.1–0.9 s at times (p99 of the JSON POST benchmark 10–13 ms, with spikes to 50–800 ms);
    /// every 100 ms, p99 6.0–6.4 ms and no fsync over 100 ms, for ~0.1 µs more per event.
    static let interval = Duration.milliseconds(100)

    let store: SQLiteEventStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let slow = SlowOperations(logger: logger)
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            do {
                let started = ContinuousClock.now
                let remaining = try await store.checkpoint()
                slow.note("checkpoint", "a checkpoint (\(remaining) frames left in the log)", took: ContinuousClock.now - started)
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
