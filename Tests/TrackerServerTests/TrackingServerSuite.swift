import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// What the suites that talk to a tracking server share: the server on a free port, stopped
/// whatever the test did, and the events it stored.
protocol TrackingServerSuite {}

extension TrackingServerSuite {
    func withServer(_ configure: (inout TrackerConfiguration) -> Void = { _ in },
                    _ body: (RunningServer) async throws -> Void) async throws {
        let server = try await RunningServer.start(configure)
        do {
            try await body(server)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    func stored(_ server: RunningServer) async throws -> [Event] {
        try await server.server.store.events(EventQuery())
    }
}
