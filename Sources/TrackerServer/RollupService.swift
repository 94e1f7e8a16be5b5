import Logging
import ServiceLifecycle
import TrackerSQLite

/// Keeps the embedded store's rollup tables at most `interval` behind the events, and brings them
/// fully up to date on shutdown.
struct RollupService: Service {
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
            await rollUp()
        }
        await rollUp()
    }

    func rollUp() async {
        do {
            try await store.rollUp()
        } catch {
            logger.error("rollups failed: \(error)")
        }
    }
}
