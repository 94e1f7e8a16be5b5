import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TrackerConfig
import TrackerStorage
import TrackerTesting

/// Clients that do not play by the rules, against the real server.
@Suite(.serialized) struct HostileClientTests {
    @Test func garbageAndOversizeHeadersAreRefusedAndTheServerStaysUp() async throws {
        let server = try await RunningServer.start()
        let garbage = try server.client.exchange(Array("\u{01}\u{02}GARBAGE \r\n\r\n".utf8))
        #expect(garbage.status == 400)
        let hugeHeader = "GET /tr/v1/ HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n"
        let refused = try? server.client.exchange(Array(hugeHeader.utf8))
        #expect(refused == nil || refused!.status >= 400)
        #expect(try server.client.get("/ping").text == "pong")
        try await server.stop()
    }

    /// A malformed request pipelined behind valid ones: they are answered first, in order, then
    /// the 400, then the connection is closed (it was left open, and a 408 followed the 400 at
    /// the header timeout). On both paths (`DirectHTTP` on and off).
    @Test(arguments: [true, false])
    func aMalformedRequestIsAnsweredInTurnAndClosesTheConnection(direct: Bool) async throws {
        let server = try await RunningServer.start { $0.directHTTP = direct }
        let bytes = "GET /img/v1/?ename=first HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n"
        let started = ContinuousClock.now
        let text = try server.client.rawUntilClosed(Array(bytes.utf8))
        #expect(ContinuousClock.now - started < .seconds(5), "the connection was not closed after the 400")
        let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        #expect(statuses == ["200", "200", "400"], "\(text)")
        #expect(try await server.events(atLeast: 1).map { $0[.ename] } == ["first"])
        try await server.stop()
    }

    /// Out of file descriptors, the server does not spin on the connections it cannot accept
    /// (the listening socket stays readable), and serves again once descriptors are free.
    @Test func runningOutOfDescriptorsNeitherSpinsNorStopsTheServer() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            Issue.record("prlimit (util-linux) is missing")
            return
        }
        let directory = TemporaryDirectory("tracker-fds")
        defer { directory.remove() }
        let tracker = try TrackerProcess.start(data: directory.file("data"), through: ["/usr/bin/prlimit", "--nofile=96"])
        defer { tracker.terminate() }
        let clients = try (0..<200).map { _ in try HTTPTestClient.connectedSocket(port: tracker.port) }
        try await Task.sleep(for: .milliseconds(300))
        let before = try Self.cpuTicks(tracker.pid)
        try await Task.sleep(for: .seconds(1))
        let spent = try Self.cpuTicks(tracker.pid) - before
        #expect(spent < 30, "\(spent) of 100 clock ticks in one second: spinning on accept")
        clients.forEach { close($0) }
        try await Task.sleep(for: .milliseconds(800))
        #expect(try HTTPTestClient(port: tracker.port).get("/ping").text == "pong")
    }

    /// User and system time of a process, in clock ticks (100 a second).
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")
        return Int(fields[11])! + Int(fields[12])!
    }

    @Test func maxHeaderBytesBoundsTheRequestHead() async throws {
        let server = try await RunningServer.start { $0.maxHeaderBytes = 4096 }
        let small = try server.client.get("/ping", headers: ["X-Pad": String(repeating: "a", count: 3000)])
        #expect(small.text == "pong")
        let big = try? server.client.get("/ping", headers: ["X-Pad": String(repeating: "a", count: 5000)])
        #expect(big == nil || big!.status == 400)
        #expect(try server.client.get("/ping").text == "pong")
        try await server.stop()
    }

    @Test func idleKeepAliveConnectionsAreClosedButBusyOnesAreNot() async throws {
        let backend = try await BackendServer.start(name: "slow")
        let server = try await RunningServer.start { config in
            config.idleTimeoutSeconds = 1
            var route = ProxyRouteConfiguration(name: "slow", upstreams: [UpstreamAddress(backend.url)!])
            route.pathPrefix = "/api/"
            config.routes = [route]
        }
        // An answer that takes longer than the idle timeout is not cut.
        #expect(try server.client.get("/api/slow/1600").status == 200)
        let fd = try HTTPTestClient.connectedSocket(port: server.port)
        defer { close(fd) }
        let request = Array("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(read(fd, &buffer, buffer.count) > 0)
        // 0 is the server closing it; a read that timed out here (10 s) would be -1.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #expect(read(fd, &buffer, buffer.count) == 0)
        try await server.stop()
        try await backend.stop()
    }

    @Test func aSlowlorisClientGets408AfterTheHeaderTimeout() async throws {
        let server = try await RunningServer.start { config in
            config.requestHeaderTimeoutSeconds = 1
            config.idleTimeoutSeconds = 60
        }
        let outcome = try SlowClient.trickle(port: server.port, interval: 0.2, limit: 5)
        let closedAfter = try #require(outcome.closedAfter, "the server let the slow client hold the connection")
        #expect(closedAfter >= 0.9 && closedAfter < 3)
        #expect(outcome.received.hasPrefix("HTTP/1.1 408"))
        // Normal keep-alive clients are not affected: several requests on one connection.
        #expect(try server.client.get("/ping").text == "pong")
        try await server.stop()
    }

    @Test func manyConcurrentClientsAreAllAnsweredAndStored() async throws {
        let server = try await RunningServer.start()
        let client = server.client
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<300 {
                group.addTask { (try? client.get("/img/v1/ename/c\(i)").status) ?? -1 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 200 })
        #expect(try await server.server.store.count(EventQuery()) == 300)
        #expect(server.server.application.limiter.current == 0)
        try await server.stop()
    }
}
