import Foundation
import Logging
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerServer

/// The real server, in process, on a free port, with its data in a temporary directory.
public final class RunningServer: Sendable {
    public let server: TrackerServer
    public let directory: TemporaryDirectory
    public let port: Int
    /// The HTTPS listener's port, when `TLS` is configured.
    public let httpsPort: Int?
    let task: Task<Void, any Error>

    public var client: HTTPTestClient { HTTPTestClient(port: port) }

    public static func start(clock: any TrackerClock = SystemClock(),
                             _ configure: (inout TrackerConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        let directory = TemporaryDirectory("tracker-server")
        var configuration = TrackerConfiguration()
        configuration.listenHost = "127.0.0.1"
        configuration.listenPort = 0
        configuration.dataDirectory = directory.file("data")
        configuration.staticDirectory = directory.file("public")
        configure(&configuration)
        var logger = Logger(label: "tracker-test")
        logger.logLevel = .warning
        let server = try await TrackerServer(configuration: configuration, logger: logger, clock: clock,
                                             installSignalHandlers: false)
        let task = Task { try await server.run() }
        let port: Int, httpsPort: Int?
        do {
            port = try await server.http.boundPort()
            httpsPort = try await server.https?.boundPort()
        } catch {
            // A port taken in the meantime: the bind error is the one to see (not awaited: a
            // failing start must fail the test, never hang it).
            task.cancel()
            Task { _ = await task.result; directory.remove() }
            throw error
        }
        return RunningServer(server: server, directory: directory, port: port, httpsPort: httpsPort, task: task)
    }

    init(server: TrackerServer, directory: TemporaryDirectory, port: Int, httpsPort: Int?, task: Task<Void, any Error>) {
        self.server = server
        self.httpsPort = httpsPort
        self.directory = directory
        self.port = port
        self.task = task
    }

    /// The stored events once there are at least `count` (5 s at most): delivery from the spool,
    /// and tracking of proxied calls, happen after the answer.
    public func events(atLeast count: Int) async throws -> [Event] {
        for _ in 0..<250 {
            let events = try await server.store.events(EventQuery())
            if events.count >= count { return events }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await server.store.events(EventQuery())
    }

    /// Graceful shutdown, then the data directory is removed.
    public func stop() async throws {
        await server.shutdown()
        try await task.value
        directory.remove()
    }
}
