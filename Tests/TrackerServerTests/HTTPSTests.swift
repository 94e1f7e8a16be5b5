import Foundation
import Testing
import TrackerConfig
import TrackerTesting

/// The HTTPS listener, checked with clients no one here wrote (curl, openssl s_client) against
/// certificates signed by a test CA.
@Suite(.enabled(if: TLSProbe.isAvailable, "needs openssl and curl"))
struct HTTPSTests {
    static func start(_ certificates: [(certificate: String, key: String)],
                      _ configure: @escaping (inout HTTPSConfiguration, inout TrackerConfiguration) -> Void = { _, _ in })
        async throws -> RunningServer {
        try await RunningServer.start { configuration in
            var tls = HTTPSConfiguration()
            tls.listenHost = "127.0.0.1"
            tls.listenPort = 0
            tls.certificates = certificates.map { .init(certificate: $0.certificate, key: $0.key) }
            tls.redirectHTTP = false
            configure(&tls, &configuration)
            configuration.tls = tls
        }
    }

    @Test func certificatesAreChosenByServerNameAndHTTP2IsNegotiated() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let first = try ca.leaf(["a.test"], file: "a")
        let wildcard = try ca.leaf(["b.test", "*.b.test"], file: "b")
        let server = try await Self.start([first, wildcard])
        defer { Task { try await server.stop() } }
        let port = try #require(server.httpsPort)

        #expect(try await TLSProbe.served(port: port, serverName: "a.test").contains("CN = a.test"))
        #expect(try await TLSProbe.served(port: port, serverName: "shop.b.test").contains("CN = b.test"))
        #expect(try await TLSProbe.served(port: port, serverName: "B.TEST").contains("CN = b.test"))
        // No SNI (an IP address typed in) or an unknown name: the first certificate configured.
        #expect(try await TLSProbe.served(port: port, serverName: nil).contains("CN = a.test"))
        #expect(try await TLSProbe.served(port: port, serverName: "other.test").contains("CN = a.test"))

        let h2 = try await TLSProbe.curl(host: "shop.b.test", port: port, ca: ca.caCertificate)
        #expect(h2.body == "pong")
        #expect(h2.version == "2")
        let h1 = try await TLSProbe.curl(host: "a.test", port: port, ca: ca.caCertificate, extra: ["--http1.1"])
        #expect(h1.body == "pong")
        #expect(h1.version == "1.1")
        // A name the served certificate does not cover fails verification in a real client.
        await #expect(throws: (any Error).self) { try await TLSProbe.curl(host: "other.test", port: port, ca: ca.caCertificate) }
    }

    @Test func onlyTLS12AndNewerWithForwardSecretAEADSuites() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let server = try await Self.start([try ca.leaf(["a.test"], file: "a")])
        defer { Task { try await server.stop() } }
        let port = try #require(server.httpsPort)
        #expect(try await TLSProbe.served(port: port, serverName: "a.test", extra: ["-tls1_2"]).contains("CN = a.test"))
        #expect(try await TLSProbe.served(port: port, serverName: "a.test", extra: ["-tls1_3"]).contains("CN = a.test"))
        #expect(!(try await TLSProbe.served(port: port, serverName: "a.test", extra: ["-tls1_1"]).contains("CN = a.test")))
        #expect(!(try await TLSProbe.served(port: port, serverName: "a.test", extra: ["-tls1_2", "-cipher", "AES128-SHA"]).contains("CN = a.test")))
        #expect(!(try await TLSProbe.served(port: port, serverName: "a.test", extra: ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]).contains("CN = a.test")))
    }

    @Test func trackingOverHTTPSSetsSecureCookiesAndHSTS() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let server = try await Self.start([try ca.leaf(["shop.test"], file: "shop")]) { tls, _ in tls.hsts = "max-age=600" }
        defer { Task { try await server.stop() } }
        let port = try #require(server.httpsPort)
        let answer = try await TLSProbe.curl(host: "shop.test", port: port, path: "/tr/v1/ename/signup", ca: ca.caCertificate,
                                       extra: ["-H", "Content-Type: text/plain", "--data", "{\"url\":\"https://shop.test/a\"}"])
        #expect(answer.headers.lowercased().contains("strict-transport-security: max-age=600"))
        let cookie = try #require(answer.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: vid=") })
        #expect(cookie.contains("; Secure"))
        let events = try await server.events(atLeast: 1)
        #expect(events.first?[.ename] == "signup")
        // The plain port (no redirect configured) answers as before, without HSTS.
        let plain = try server.client.get("/ping", headers: ["Host": "shop.test"])
        #expect(plain.text == "pong")
        #expect(plain.header("strict-transport-security") == nil)
    }

    @Test func thePlainPortRedirectsToTheHTTPSPortWithAWorkingURL() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let server = try await Self.start([try ca.leaf(["shop.test"], file: "shop")]) { tls, _ in tls.redirectHTTP = true }
        defer { Task { try await server.stop() } }
        let port = try #require(server.httpsPort)
        let redirect = try server.client.send("POST", "/tr/v1/?ename=x&a=1", headers: ["Host": "Shop.Test:80"], body: Array("{}".utf8))
        #expect(redirect.status == 308)
        #expect(redirect.header("location") == "https://shop.test:\(port)/tr/v1/?ename=x&a=1")
        let ipv6 = try server.client.get("/", headers: ["Host": "[::1]:8080"])
        #expect(ipv6.header("location") == "https://[::1]:\(port)/")
        // ACME's HTTP-01 path is answered here, never redirected: unknown tokens are 404.
        #expect(try server.client.get("/.well-known/acme-challenge/nope", headers: ["Host": "shop.test"]).status == 404)
        #expect(try server.client.get("/", headers: ["Host": "bad host\""]).status == 400)
        // The redirect's target really answers.
        let followed = try await TLSProbe.curl(host: "shop.test", port: port, path: "/ping", ca: ca.caCertificate)
        #expect(followed.body == "pong")

        let standard = try await Self.start([try ca.leaf(["shop.test"], file: "shop2")]) { tls, _ in
            tls.redirectHTTP = true
            tls.redirectPort = 443
        }
        defer { Task { try await standard.stop() } }
        #expect(try standard.client.get("/a?b", headers: ["Host": "shop.test"]).header("location") == "https://shop.test/a?b")
    }

    @Test func plainHTTPSentToTheHTTPSPortIsToldSo() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let server = try await Self.start([try ca.leaf(["a.test"], file: "a")])
        defer { Task { try await server.stop() } }
        let answer = try HTTPTestClient(port: try #require(server.httpsPort)).get("/ping")
        #expect(answer.status == 400)
        #expect(answer.text.contains("plain HTTP request was sent to the HTTPS port"))
    }

    @Test func changedCertificateFilesServeNewHandshakesWithoutDroppingOpenConnections() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let live = try ca.leaf(["a.test"], file: "live")
        let server = try await Self.start([live]) { tls, configuration in
            tls.reloadIntervalSeconds = 0.2
            configuration.staticDirectory = configuration.dataDirectory + "-public"
        }
        defer { Task { try await server.stop() } }
        let port = try #require(server.httpsPort)
        let before = try await TLSProbe.served(port: port, serverName: "a.test")
        #expect(before.contains("CN = a.test"))

        // A 16 MiB download at 4 MiB/s is in flight while the files change.
        let publicDirectory = server.server.configuration.staticDirectory
        try FileManager.default.createDirectory(atPath: publicDirectory, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 16 << 20).write(to: URL(fileURLWithPath: publicDirectory + "/big.bin"))
        let downloaded = server.directory.file("big.download")
        let download = try ChildProcess("/usr/bin/curl", [
            "-s", "-S", "--http1.1", "--limit-rate", "4M", "--cacert", ca.caCertificate, "--resolve", "a.test:\(port):127.0.0.1",
            "-o", downloaded, "https://a.test:\(port)/pub/v1/big.bin",
        ])
        try await Task.sleep(for: .milliseconds(500))

        // The key first: until the certificate follows, the pair does not match and the old one stays.
        let renewed = try ca.leaf(["a.test", "www.a.test"], file: "renewed")
        try FileManager.default.removeItem(atPath: live.key)
        try FileManager.default.copyItem(atPath: renewed.key, toPath: live.key)
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await TLSProbe.served(port: port, serverName: "a.test") == before)
        try FileManager.default.removeItem(atPath: live.certificate)
        try FileManager.default.copyItem(atPath: renewed.certificate, toPath: live.certificate)

        var after = before
        for _ in 0..<50 where after == before {
            try await Task.sleep(for: .milliseconds(100))
            after = try await TLSProbe.served(port: port, serverName: "a.test")
        }
        #expect(after.contains("www.a.test"))
        #expect(try await OwnThread.run { download.wait() } == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: downloaded)[.size] as? Int) ?? 0
        #expect(size == 16 << 20)
    }

    @Test func unreadableCertificateFilesStopTheStartWithTheirReason() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let good = try ca.leaf(["a.test"], file: "a")
        let other = try ca.leaf(["b.test"], file: "b")
        await #expect(throws: (any Error).self) {
            try await Self.start([(good.certificate, ca.directory.file("missing.key"))])
        }
        do {
            _ = try await Self.start([(good.certificate, other.key)])
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect("\(error)".contains("does not belong") || "\(error)".contains("key"))
        }
    }

    @Test func proxiedCallsStreamOverHTTP2BothWays() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let backend = try await BackendServer.start(name: "api")
        let server = try await Self.start([try ca.leaf(["shop.test"], file: "shop")]) { _, configuration in
            var route = ProxyRouteConfiguration(name: "api", upstreams: [UpstreamAddress(backend.url)!])
            route.pathPrefix = "/api/"
            configuration.routes = [route]
        }
        let port = try #require(server.httpsPort)
        let upload = server.directory.file("upload.bin")
        try Data(repeating: 3, count: 3 << 20).write(to: URL(fileURLWithPath: upload))
        let echoed = try await TLSProbe.curl(host: "shop.test", port: port, path: "/api/echo/upload", ca: ca.caCertificate,
                                       extra: ["--data-binary", "@" + upload])
        #expect(echoed.version == "2")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(echoed.body.utf8)) as? [String: Any])
        #expect(json["method"] as? String == "POST")
        #expect(json["bodyBytes"] as? Int == 3 << 20)
        let seen = try #require(json["headers"] as? [String: [String]])
        #expect(seen["x-forwarded-proto"] == ["https"])
        let download = server.directory.file("download.bin")
        let fetched = try await TLSProbe.curl(host: "shop.test", port: port, path: "/api/bytes/5000000", ca: ca.caCertificate,
                                        extra: ["-o", download])
        #expect(fetched.version == "2")
        #expect((try FileManager.default.attributesOfItem(atPath: download)[.size] as? Int) == 5_000_000)
        try await server.stop()
        try await backend.stop()
    }

    @Test func idleHTTP2ConnectionsCloseButSlowRequestsDoNot() async throws {
        let ca = try TestCertificates()
        defer { ca.remove() }
        let backend = try await BackendServer.start(name: "slow")
        let server = try await Self.start([try ca.leaf(["shop.test"], file: "shop")]) { _, configuration in
            configuration.idleTimeoutSeconds = 1
            var route = ProxyRouteConfiguration(name: "api", upstreams: [UpstreamAddress(backend.url)!])
            route.pathPrefix = "/api/"
            configuration.routes = [route]
        }
        let port = try #require(server.httpsPort)
        // A request that takes 2.5 s on a connection with a 1 s idle timeout is not cut.
        let slow = try await TLSProbe.curl(host: "shop.test", port: port, path: "/api/slow/2500", ca: ca.caCertificate)
        #expect(slow.version == "2")
        #expect(slow.body == "slow slow")
        // A connection that opened HTTP/2 and sent nothing more is closed after about a second.
        let preface = server.directory.file("preface")
        try Data("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8 + [0, 0, 0, 4, 0, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: preface))
        let started = Date()
        let client = try ChildProcess("/bin/sh", ["-c", "exec /usr/bin/openssl s_client -quiet -ign_eof -alpn h2 -connect 127.0.0.1:\(port) < \(preface)"])
        var closed = false
        for _ in 0..<100 {
            if !client.isRunning { closed = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if !closed { client.signal(SIGKILL) }
        _ = try await OwnThread.run { client.wait() }
        #expect(closed)
        #expect(Date().timeIntervalSince(started) >= 0.9)
        try await server.stop()
        try await backend.stop()
    }
}
