import Logging
import ServiceLifecycle
import TrackerHTTP
import UnixSignals

/// Writes the access log's buffer every second, and once more at shutdown; on SIGHUP (sent by
/// logrotate after it moved the file) reopens the file.
struct AccessLogService: Service {
    let log: AccessLog
    let reopenOnHangup: Bool
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { tasks in
            if reopenOnHangup {
                tasks.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        do { try log.reopen() } catch { logger.error("cannot reopen the access log: \(error)") }
                    }
                }
            }
            while true {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                } catch {
                    break
                }
                log.flush()
            }
            log.flush()
            tasks.cancelAll()
        }
    }
}
