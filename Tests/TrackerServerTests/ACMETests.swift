import Foundation
import Testing
import TrackerConfig
import TrackerTesting
import TrackerTLS

/// Automatic certificates from a real ACME CA (Let's Encrypt's Pebble, with its fake DNS sending
/// every name to 127.0.0.1), checked by curl against the root Pebble issued from.
@Suite(.serialized, .enabled(if: PebbleProcess.isAvailable, Comment(rawValue: PebbleProcess.skipMessage)))
struct ACMETests {
    struct Setup {
        let pebble: PebbleProcess
        let plainPort: Int
        let tlsPort: Int
    }

    static func pebble(validitySeconds: Int = 3600, nonceRejectPercent: Int = 5) async throws -> Setup {
        let plain = try FreePort.next(), tls = try FreePort.next()
        let pebble = try PebbleProcess(httpPort: plain, tlsPort: tls, validitySeconds: validitySeconds, nonceRejectPercent: nonceRejectPercent)
        try await pebble.start()
        return Setup(pebble: pebble, plainPort: plain, tlsPort: tls)
    }

    static func server(_ setup: Setup, names: [String], challenges: [String], dataDirectory: String? = nil,
                       renewAfter: Double = 2.0 / 3.0, onDemand: HTTPSConfiguration.ACME.OnDemand? = nil) async throws -> RunningServer {
        try await RunningServer.start { configuration in
            configuration.listenPort = setup.plainPort
            if let dataDirectory { configuration.dataDirectory = dataDirectory }
            var tls = HTTPSConfiguration()
            tls.listenHost = "127.0.0.1"
            tls.listenPort = setup.tlsPort
            var acme = HTTPSConfiguration.ACME(domains: names, email: "ops@example.test")
            acme.directoryURL = setup.pebble.directoryURL
            acme.caRoot = setup.pebble.caRoot
            acme.challenges = challenges
            acme.renewAfter = renewAfter
            acme.retrySeconds = 0.5
            acme.onDemand = onDemand
            tls.acme = acme
            configuration.tls = tls
        }
    }

    /// The certificate entry once `ready` says so (40 s at most).
    static func wait(_ server: RunningServer, until ready: (CertificateStore.Entry) -> Bool) async throws -> CertificateStore.Entry {
        let store = try #require(server.server.certificates)
        for _ in 0..<400 {
            if let entry = store.entries.first, ready(entry) { return entry }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out; the entry is \(String(describing: store.entries.first))")
        throw CancellationError()
    }

    @Test func http01CertificateForTwoNamesWithBadNoncesRetried() async throws {
        // Half of all good nonces are refused with badNonce: an order takes about ten signed
        // requests, so without retries it would fail all but once in a thousand runs.
        let setup = try await Self.pebble(nonceRejectPercent: 50)
        let names = ["shop.example.test", "www.shop.example.test"]
        let server = try await Self.server(setup, names: names, challenges: ["http-01"])
        defer { Task { try await server.stop() } }
        let entry = try await Self.wait(server) { $0.key != nil }
        #expect(Set(entry.key?.names ?? []) == Set(names))

        let root = try setup.pebble.issuingRoot()
        for name in names {
            let answer = try await TLSProbe.curl(host: name, port: setup.tlsPort, path: "/ping", ca: root)
            #expect(answer.body == "pong")
        }
        // Keys stay private: 0600 files in 0700 folders.
        let folder = server.server.configuration.dataDirectory + "/certificates/shop.example.test"
        let key = try FileManager.default.attributesOfItem(atPath: folder + "/key.pem")
        #expect((key[.posixPermissions] as? Int) == 0o600)
        let accounts = try FileManager.default.contentsOfDirectory(atPath: server.server.configuration.dataDirectory + "/certificates/acme/accounts")
        let account = try FileManager.default.attributesOfItem(
            atPath: server.server.configuration.dataDirectory + "/certificates/acme/accounts/" + (accounts.first ?? ""))
        #expect((account[.posixPermissions] as? Int) == 0o600)
        // The plain port redirects, but still answers HTTP-01 (a token no one asked for is 404).
        #expect(try server.client.get("/health", headers: ["Host": "shop.example.test"]).status == 308)
        #expect(try server.client.get("/.well-known/acme-challenge/x", headers: ["Host": "shop.example.test"]).status == 404)
        setup.pebble.stop()
    }

    @Test func tlsALPN01CertificateWithoutThePlainPort() async throws {
        let setup = try await Self.pebble()
        let names = ["api.example.test", "cdn.example.test"]
        let server = try await Self.server(setup, names: names, challenges: ["tls-alpn-01"])
        defer { Task { try await server.stop() } }
        _ = try await Self.wait(server) { $0.key != nil }
        for name in names {
            let answer = try await TLSProbe.curl(host: name, port: setup.tlsPort, path: "/ping", ca: try setup.pebble.issuingRoot())
            #expect(answer.body == "pong")
            #expect(answer.version == "2")
        }
        // Once validated, the challenge certificate is gone: acme-tls/1 gets no handshake.
        #expect(!(try await TLSProbe.served(port: setup.tlsPort, serverName: "api.example.test", alpn: "acme-tls/1")).contains("CN"))
        setup.pebble.stop()
    }

    @Test func renewsAndKeepsServingWhenTheCAIsDown() async throws {
        // 60 s certificates renewed after a tenth of their life: a renewal every 3–6 s.
        let setup = try await Self.pebble(validitySeconds: 60)
        let data = TemporaryDirectory("acme-data")
        defer { data.remove() }
        let names = ["renew.example.test"]
        let server = try await Self.server(setup, names: names, challenges: ["http-01", "tls-alpn-01"],
                                           dataDirectory: data.file("data"), renewAfter: 0.1)
        let first = try await Self.wait(server) { $0.key != nil }
        let renewed = try await Self.wait(server) { $0.key != nil && $0.key?.notAfter != first.key?.notAfter }
        #expect(renewed.key!.notAfter > first.key!.notAfter)
        let root = try setup.pebble.issuingRoot()

        // The CA goes down: renewals fail, are reported, and the current certificate still serves.
        setup.pebble.stop()
        let failing = try await Self.wait(server) { $0.lastError != nil }
        #expect(failing.key != nil)
        #expect(try await TLSProbe.curl(host: names[0], port: setup.tlsPort, path: "/ping", ca: root).body == "pong")
        let healthText = try await TLSProbe.curl(host: names[0], port: setup.tlsPort, path: "/health", ca: root).body
        let health = try #require(try JSONSerialization.jsonObject(with: Data(healthText.utf8)) as? [String: Any])
        let certificates = try #require(health["certificates"] as? [[String: Any]])
        #expect(certificates.first?["state"] as? String == "renewal_failing")
        #expect(certificates.first?["last_error"] is String)
        #expect(health["status"] as? String == "ok")
        try await server.stop()

        // A restart with the CA still down serves the stored certificate at once.
        let restarted = try await Self.server(setup, names: names, challenges: ["http-01"], dataDirectory: data.file("data"),
                                              renewAfter: 0.1)
        #expect(restarted.server.certificates?.entries.first?.key != nil)
        #expect(try await TLSProbe.curl(host: names[0], port: setup.tlsPort, path: "/ping", ca: root).body == "pong")
        // Awaited before `data` is removed: a server left running on a deleted directory fails its writes.
        try await restarted.stop()
    }

    @Test func onDemandCertificatesForAllowedNamesWhileTheHandshakeWaits() async throws {
        let setup = try await Self.pebble()
        let data = TemporaryDirectory("acme-data")
        defer { data.remove() }
        let server = try await Self.server(setup, names: [], challenges: ["tls-alpn-01", "http-01"], dataDirectory: data.file("data"),
                                           onDemand: .init(allow: ["*.customers.example.test"]))
        let root = try setup.pebble.issuingRoot()
        // Two customers' names at once: each handshake waits for its own certificate.
        async let first = TLSProbe.curl(host: "one.customers.example.test", port: setup.tlsPort, path: "/ping", ca: root)
        async let second = TLSProbe.curl(host: "two.customers.example.test", port: setup.tlsPort, path: "/ping", ca: root)
        #expect(try await first.body == "pong")
        #expect(try await second.body == "pong")
        #expect(try await TLSProbe.served(port: setup.tlsPort, serverName: "one.customers.example.test").contains("one.customers.example.test"))
        // A name outside the allow-list gets no certificate: the handshake is refused.
        await #expect(throws: (any Error).self) {
            try await TLSProbe.curl(host: "stranger.example.test", port: setup.tlsPort, path: "/ping", ca: root)
        }
        let entries = try #require(server.server.certificates?.entries)
        #expect(Set(entries.filter { $0.key != nil }.flatMap(\.names)) == ["one.customers.example.test", "two.customers.example.test"])
        #expect(entries.allSatisfy { $0.source == "acme-on-demand" })
        try await server.stop()

        // After a restart, with the CA gone, the stored certificates serve at once.
        setup.pebble.stop()
        let restarted = try await Self.server(setup, names: [], challenges: ["tls-alpn-01"], dataDirectory: data.file("data"),
                                              onDemand: .init(allow: ["*.customers.example.test"]))
        #expect(try await TLSProbe.curl(host: "two.customers.example.test", port: setup.tlsPort, path: "/ping", ca: root).body == "pong")
        try await restarted.stop()
    }

    @Test func onDemandAsksTheOperatorsURL() async throws {
        let setup = try await Self.pebble()
        let ask = try await BackendServer.start(name: "ask")
        let yes = try await Self.server(setup, names: [], challenges: ["http-01"],
                                        onDemand: .init(ask: "\(ask.url)/status/200"))
        let root = try setup.pebble.issuingRoot()
        #expect(try await TLSProbe.curl(host: "approved.example.test", port: setup.tlsPort, path: "/ping", ca: root).body == "pong")
        try await yes.stop()
        let no = try await Self.server(setup, names: [], challenges: ["http-01"],
                                       onDemand: .init(ask: "\(ask.url)/status/403"))
        await #expect(throws: (any Error).self) {
            try await TLSProbe.curl(host: "refused.example.test", port: setup.tlsPort, path: "/ping", ca: root)
        }
        #expect(no.server.certificates?.entries.isEmpty == true)
        try await no.stop()
        try await ask.stop()
        setup.pebble.stop()
    }
}
