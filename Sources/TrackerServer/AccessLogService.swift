import ServiceLifecycle
import TrackerHTTP

/// Writes the access log's buffer every second, and once more at shutdown.
struct AccessLogService: Service {
    let log: AccessLog

    func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                break
            }
            log.flush()
        }
        log.flush()
    }
}
