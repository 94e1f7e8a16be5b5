import Foundation
import Testing
import NATSClient
import TrackerTesting

/// The client against a real nats-server on loopback.
@Suite(.enabled(if: NATSServerProcess.isAvailable, Comment(rawValue: NATSServerProcess.skipMessage)))
struct NATSServerTests {
    static func server(_ binary: String, _ extra: [String] = [], config: String? = nil) async throws -> NATSServerProcess {
        let server = try NATSServerProcess(binary: binary, extra: extra, config: config)
        try await server.start()
        return server
    }

    @Test(arguments: NATSServerProcess.binaries) func publishSubscribeWithHeadersWildcardsAndQueueGroups(binary: String) async throws {
        let server = try await Self.server(binary)
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let all = try nats.subscribe("events.>")
        let workers = try [nats.subscribe("events.*", queue: "q"), nats.subscribe("events.*", queue: "q")]
        try await nats.flush()
        for i in 0..<20 {
            try nats.publish("events.site\(i)", payload: Array("hit-\(i)".utf8), headers: NATSHeaders([("X-Site", "\(i)")]))
        }
        try await nats.flush()
        var seen: [String] = []
        for _ in 0..<20 {
            let message = try #require(try await NATSTesting.next(all))
            seen.append("\(message.subject)=\(message.text)/\(message.headers?["X-Site"] ?? "")")
        }
        #expect(seen == (0..<20).map { "events.site\($0)=hit-\($0)/\($0)" })
        // Each message went to exactly one member of the queue group.
        try await Task.sleep(for: .milliseconds(200))
        #expect(workers[0].received + workers[1].received == 20)
        all.unsubscribe()
        await nats.close()
        #expect(nats.status == .closed)
        #expect(throws: NATSError.closed) { try nats.publish("x", payload: []) }
    }

    @Test(arguments: NATSServerProcess.binaries) func requestReplyTimeoutsAndNoResponders(binary: String) async throws {
        let server = try await Self.server(binary)
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let service = try nats.subscribe("svc.echo")
        let responder = Task {
            for await request in service {
                try nats.publish(request.replyTo!, payload: Array("pong:".utf8) + request.payload)
            }
        }
        try await nats.flush()
        let reply = try await nats.request("svc.echo", payload: Array("ping".utf8))
        #expect(reply.text == "pong:ping")
        await #expect(throws: NATSError.noResponders("nobody.home")) {
            try await nats.request("nobody.home", payload: [], timeout: .seconds(2))
        }
        let silent = try nats.subscribe("svc.silent")
        try await nats.flush()
        await #expect(throws: NATSError.timeout) {
            try await nats.request("svc.silent", payload: [], timeout: .milliseconds(300))
        }
        silent.unsubscribe()
        responder.cancel()
        await nats.close()
    }

    @Test(arguments: NATSServerProcess.binaries) func limitsGiveClearErrors(binary: String) async throws {
        let server = try await Self.server(binary, config: "max_payload: 1024\n")
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        #expect(nats.maxPayload == 1024)
        #expect(throws: NATSError.payloadTooLarge(size: 2000, max: 1024)) { try nats.publish("big", payload: Array(repeating: 1, count: 2000)) }
        #expect(throws: NATSError.invalidSubject("bad subject")) { try nats.publish("bad subject", payload: []) }
        // A reader that does not keep up loses the newest messages, counted; the connection lives.
        var options = NATSOptions(servers: [server.url])
        options.subscriptionCapacity = 10
        let slowClient = try await NATSConnection.connect(options)
        let slow = try slowClient.subscribe("flood")
        try await slowClient.flush()
        for _ in 0..<50 { try nats.publish("flood", payload: [1]) }
        try await nats.flush()
        try await slowClient.flush()
        #expect(slow.dropped == 40)
        #expect(slowClient.status == .connected)
        await nats.close()
        await slowClient.close()
    }

    @Test(arguments: NATSServerProcess.binaries) func reconnectsResubscribesAndSendsWhatWasHeld(binary: String) async throws {
        let server = try await Self.server(binary)
        var options = NATSOptions(servers: [server.url])
        options.reconnectWait = 0.05
        options.pendingBytesLimit = 4096
        let nats = try await NATSConnection.connect(options)
        let subscription = try nats.subscribe("after.restart")
        try await nats.flush()

        server.stop()
        for _ in 0..<100 where nats.status == .connected { try await Task.sleep(for: .milliseconds(20)) }
        #expect(nats.status == .reconnecting)
        // Held while the server is away, up to the limit; past it, a clear error.
        for i in 0..<10 { try nats.publish("after.restart", payload: Array("held-\(i)".utf8)) }
        #expect(throws: NATSError.bufferFull(limit: 4096)) { try nats.publish("after.restart", payload: Array(repeating: 0, count: 4000)) }

        try await server.start()
        for _ in 0..<250 where nats.status != .connected { try await Task.sleep(for: .milliseconds(20)) }
        #expect(nats.status == .connected)
        #expect(nats.reconnects == 1)
        var texts: [String] = []
        for _ in 0..<10 { if let message = try await NATSTesting.next(subscription) { texts.append(message.text) } }
        #expect(texts == (0..<10).map { "held-\($0)" })
        await nats.close()
    }

    @Test(arguments: NATSServerProcess.binaries) func userPasswordAndTokenAuthentication(binary: String) async throws {
        let server = try await Self.server(binary, ["--user", "tracker", "--pass", "s3cret"])
        var options = NATSOptions(servers: ["nats://tracker:s3cret@127.0.0.1:\(server.port)"])
        let nats = try await NATSConnection.connect(options)
        try await nats.flush()
        await nats.close()
        options = NATSOptions(servers: [server.url])
        options.user = "tracker"
        options.password = "wrong"
        options.maxReconnectAttempts = 1
        await #expect(throws: NATSError.self) { try await NATSConnection.connect(options) }

        let tokenServer = try await Self.server(binary, ["--auth", "t0ken"])
        var tokenOptions = NATSOptions(servers: [tokenServer.url])
        tokenOptions.token = "t0ken"
        let withToken = try await NATSConnection.connect(tokenOptions)
        try await withToken.flush()
        await withToken.close()
    }

    @Test(arguments: NATSServerProcess.binaries) func tlsWithACAAndClientCertificates(binary: String) async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let serverCertificate = try certificates.leaf(["localhost", "127.0.0.1"], file: "server")
        let client = try certificates.leaf(["tracker-client"], file: "client")
        let server = try await Self.server(binary, ["--tlsverify", "--tlscert", serverCertificate.certificate, "--tlskey", serverCertificate.key,
                                            "--tlscacert", certificates.caCertificate])
        var options = NATSOptions(servers: ["tls://localhost:\(server.port)"])
        options.tlsCAFile = certificates.caCertificate
        options.tlsCertificateFile = client.certificate
        options.tlsKeyFile = client.key
        let nats = try await NATSConnection.connect(options)
        let subscription = try nats.subscribe("secure")
        try await nats.flush()
        try nats.publish("secure", payload: Array("over tls".utf8))
        #expect(try await NATSTesting.next(subscription)?.text == "over tls")
        await nats.close()
        // Without a client certificate the server refuses.
        var anonymous = options
        anonymous.tlsCertificateFile = nil
        anonymous.tlsKeyFile = nil
        await #expect(throws: (any Error).self) { try await NATSConnection.connect(anonymous) }
    }
}
