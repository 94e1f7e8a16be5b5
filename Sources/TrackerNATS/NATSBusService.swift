import Logging
import NATSClient
import ServiceLifecycle

/// The connection's life in the service group: JetStream's stream made ready (retried while NATS
/// is away), and at shutdown (after the ingest queue drained) what is buffered sent, then closed.
public final class NATSBusService: Service, Sendable {
    let connection: NATSConnection
    let stream: JetStream.StreamConfig?
    let logger: Logger

    public init(connection: NATSConnection, stream: JetStream.StreamConfig?, logger: Logger) {
        self.connection = connection
        self.stream = stream
        self.logger = logger
    }

    public func run() async throws {
        if let stream {
            var wait = 0.5
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                do {
                    _ = try await JetStream(connection).addOrUpdateStream(stream)
                    logger.notice("JetStream stream \(stream.name) ready for \(stream.subjects.joined(separator: ", "))")
                    break
                } catch {
                    logger.warning("JetStream stream \(stream.name) not ready yet: \(error)")
                    let pause = Duration.milliseconds(Int(wait * 1000))
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
                    wait = min(wait * 2, 2)
                }
            }
        }
        try? await gracefulShutdown()
        await connection.close()
    }
}
