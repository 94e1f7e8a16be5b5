import Foundation
import TrackerConfig
import TrackerTesting

/// What the proxy suites share: a route to test backends, and a server with backends around a test.
protocol ProxyTesting {}

extension ProxyTesting {
    func route(_ name: String, _ backends: [BackendServer], prefix: String = "/api/",
               _ adjust: (inout ProxyRouteConfiguration) -> Void = { _ in }) -> ProxyRouteConfiguration {
        var route = ProxyRouteConfiguration(name: name, upstreams: backends.map { UpstreamAddress($0.url)! })
        route.pathPrefix = prefix
        adjust(&route)
        return route
    }

    func withProxy(backends names: [String] = ["a", "b"],
                   _ configure: @escaping ([BackendServer], inout TrackerConfiguration) -> Void,
                   _ body: (RunningServer, [BackendServer]) async throws -> Void) async throws {
        var backends: [BackendServer] = []
        for name in names { backends.append(try await BackendServer.start(name: name)) }
        let server = try await RunningServer.start { config in configure(backends, &config) }
        do { try await body(server, backends) } catch {
            try await server.stop()
            for backend in backends { try? await backend.stop() }
            throw error
        }
        try await server.stop()
        for backend in backends { try await backend.stop() }
    }
}

extension ProxyRouteConfiguration {
    func with(_ change: (inout ProxyRouteConfiguration) -> Void) -> ProxyRouteConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}
