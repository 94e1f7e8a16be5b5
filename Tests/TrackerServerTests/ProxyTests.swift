import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The reverse proxy against real upstream servers on loopback.
@Suite(.serialized) struct ProxyTests: ProxyTesting {
    /// Tracked calls are stored after their answer: the events once `count` are there, and a little
    /// later, to see that no others come.
    func stored(_ server: RunningServer, count: Int) async throws -> [Event] {
        _ = try await server.events(atLeast: count)
        try await Task.sleep(for: .milliseconds(200))
        return try await server.server.store.events(EventQuery())
    }

    func headers(_ response: HTTPTestClient.Response) -> [String: [String]] {
        (response.json?["headers"] as? [String: [String]]) ?? [:]
    }

    @Test func forwardsWithProxyHeadersAndWithoutHopByHopOnes() async throws {
        try await withProxy(backends: ["a"], { backends, config in config.routes = [route("api", backends)] }) { server, _ in
            let response = try server.client.get("/api/users/42?x=1", headers: [
                "Host": "shop.example.com", "Connection": "close, X-Secret", "X-Secret": "hop", "Keep-Alive": "timeout=5",
                "X-Forwarded-For": "6.6.6.6", "Cookie": "vid=abc",
            ])
            #expect(response.status == 200)
            #expect(response.header("x-backend") == "a")
            let json = try #require(response.json)
            #expect(json["uri"] as? String == "/api/users/42?x=1")
            let seen = headers(response)
            #expect(seen["host"] == ["shop.example.com"])
            // The client is not a trusted proxy: its X-Forwarded-For is replaced, not extended.
            #expect(seen["x-forwarded-for"] == ["127.0.0.1"])
            #expect(seen["x-forwarded-proto"] == ["http"])
            #expect(seen["x-forwarded-host"] == ["shop.example.com"])
            #expect(seen["forwarded"] == ["for=127.0.0.1;proto=http;host=shop.example.com"])
            #expect(seen["cookie"] == ["vid=abc"])
            #expect(seen["x-secret"] == nil && seen["keep-alive"] == nil)
            // An answer without a date gets the one it was received at; one with a date keeps it.
            #expect(response.header("date").flatMap(HTTPDateText.parse).map { abs($0.timeIntervalSinceNow) < 30 } == true)
            #expect(try server.client.get("/api/dated").header("date") == "Sun, 06 Nov 1994 08:49:37 GMT")
        }
    }

    /// The browser tracker's script is served from the binary, on a direct lane, unless a proxy
    /// route takes its path (the proxy comes first for every path but the tracker's own routes).
    @Test func aProxyRouteOverTheScriptsPathTakesItOnEveryPath() async throws {
        try await withProxy(backends: ["a"], { backends, config in config.routes = [route("scripts", backends, prefix: "/t/")] }) { server, _ in
            let proxied = try server.client.get("/t/track.js")
            #expect(proxied.status == 200 && proxied.header("x-backend") == "a")
            let own = try server.client.get("/track.js")
            #expect(own.status == 200 && own.header("x-backend") == nil && own.header("content-type")?.hasPrefix("text/javascript") == true)
            #expect(try server.client.get("/ping").text == "pong")
        }
    }

    @Test func roundRobinSharesAndLeastConnectionsAvoidsTheBusyServer() async throws {
        try await withProxy({ backends, config in
            config.routes = [route("rr", backends), route("lc", backends, prefix: "/lc/") { $0.balance = .leastConnections }]
        }) { server, backends in
            var names: [String] = []
            for _ in 0..<10 { names.append(try server.client.get("/api/echo").header("x-backend") ?? "") }
            #expect(names.filter { $0 == "a" }.count == 5 && names.filter { $0 == "b" }.count == 5)

            let client = server.client
            // On a thread of its own: under load, a task of Swift's pool may start after the rest.
            async let slow = OwnThread.run { try client.get("/lc/slow/3000").header("x-backend") }
            // Until the slow request has reached its backend (counted when its head and end are read).
            for _ in 0..<250 where backends.map(\.requests).reduce(0, +) < 11 { try await Task.sleep(for: .milliseconds(20)) }
            var fast: Set<String> = []
            for _ in 0..<6 { fast.insert(try server.client.get("/lc/echo").header("x-backend") ?? "") }
            let busy = try await slow
            #expect(fast.count == 1 && busy != nil && !fast.contains(busy!))
        }
    }

    @Test func hostsAndPrefixesFollowTheDocumentedPrecedence() async throws {
        try await withProxy(backends: ["exact", "wild", "any", "deep"], { b, config in
            config.routes = [
                route("any", [b[2]], prefix: "/"),
                route("wild", [b[1]], prefix: "/") { $0.hosts = ["*.example.com"] },
                route("exact", [b[0]], prefix: "/") { $0.hosts = ["api.example.com"] },
                route("deep", [b[3]], prefix: "/v2/") { $0.hosts = ["*.example.com"] },
            ]
        }) { server, _ in
            var seen: [String] = []
            for (host, path) in [("api.example.com", "/x"), ("www.example.com", "/x"), ("example.com", "/x"), ("other.org", "/x"),
                                 ("www.example.com", "/v2/users"), ("api.example.com", "/v2/users")] {
                seen.append(try server.client.get(path, headers: ["Host": host]).header("x-backend") ?? "-")
            }
            #expect(seen == ["exact", "wild", "any", "any", "deep", "exact"])
            // Tracking and status routes stay the tracker's, even under a catch-all route.
            #expect(try server.client.get("/ping", headers: ["Host": "api.example.com"]).text == "pong")
            #expect(try server.client.get("/tr/v1/?ename=x", headers: ["Host": "api.example.com"]).status == 200)
        }
    }

    @Test func prefixesAreStrippedAndAddedAndHeaderRulesApplied() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.routes = [route("api", b) { r in
                r.stripPrefix = true
                r.addPrefix = "/v2"
                r.passHost = false
                r.requestHeaders.set = [(name: "X-Api-Key", value: "k1")]
                r.requestHeaders.remove = ["Authorization"]
                r.responseHeaders.set = [(name: "X-Frame-Options", value: "DENY")]
                r.responseHeaders.remove = ["X-Backend"]
            }]
        }) { server, backends in
            let response = try server.client.get("/api/users?id=7", headers: ["Authorization": "Bearer x"])
            let json = try #require(response.json)
            #expect(json["uri"] as? String == "/v2/users?id=7")
            let seen = headers(response)
            #expect(seen["host"] == ["127.0.0.1:\(backends[0].port)"])
            #expect(seen["x-api-key"] == ["k1"] && seen["authorization"] == nil)
            #expect(response.header("x-frame-options") == "DENY" && response.header("x-backend") == nil)
            #expect((try server.client.get("/api").json?["uri"] as? String) == "/v2/")
        }
    }

    @Test func aDeadUpstreamIsRetriedAroundThenEjected() async throws {
        let dead = try await BackendServer.start(name: "dead")
        let deadURL = dead.url
        try await dead.stop()
        try await withProxy(backends: ["a"], { b, config in
            var r = route("api", b)
            r.upstreams.append(UpstreamAddress(deadURL)!)
            r.maxFails = 2
            r.failTimeoutSeconds = 60
            config.routes = [r]
        }) { server, backends in
            for _ in 0..<8 {
                let response = try server.client.get("/api/echo")
                #expect(response.status == 200 && response.header("x-backend") == "a")
            }
            #expect(backends[0].requests == 8)
            // A POST with a body is not replayed: it may fail, but only until the dead one is ejected,
            // which has happened by now.
            for _ in 0..<4 {
                #expect(try server.client.post("/api/echo", body: "{\"n\":1}").status == 200)
            }
            let status = try #require(try server.client.get("/status").json)
            _ = status
        }
    }

    @Test func noAnsweringUpstreamIs502AndASlowOneIs504() async throws {
        let dead = try await BackendServer.start(name: "dead")
        let deadURL = dead.url
        try await dead.stop()
        try await withProxy(backends: ["slow"], { b, config in
            config.routes = [
                ProxyRouteConfiguration(name: "down", upstreams: [UpstreamAddress(deadURL)!]).with { $0.pathPrefix = "/down/" },
                route("slow", b) { $0.responseTimeoutSeconds = 0.3 },
                route("quiet", b, prefix: "/quiet/") { $0.idleTimeoutSeconds = 0.3 },
            ]
        }) { server, _ in
            let down = try server.client.get("/down/x")
            #expect(down.status == 502)
            #expect((down.json?["error"] as? String)?.contains("could not connect") == true)
            let slow = try server.client.get("/api/slow/3000")
            #expect(slow.status == 504)
            #expect(try server.client.get("/api/slow/10").status == 200)
            let dropped = try server.client.get("/api/drop")
            #expect(dropped.status == 502)
            // An answer that stops midway is cut off after the idle timeout: the client's
            // connection closes rather than hang.
            let started = ContinuousClock.now
            let stalled = try server.client.get("/quiet/stall")
            #expect(stalled.header("content-length") == "100" && stalled.body.count < 100)
            #expect(ContinuousClock.now - started < .seconds(20))  // cut, not waiting for the client's 30 s
        }
    }

    @Test func activeHealthChecksTakeAServerOutAndBackIn() async throws {
        try await withProxy({ b, config in
            config.routes = [route("api", b) {
                $0.healthCheck = ProxyRouteConfiguration.HealthCheck(path: "/health", intervalSeconds: 0.1, timeoutSeconds: 1)
            }]
        }) { server, backends in
            /// Waits (5 s at most) until the route sends a request to `name`'s set only.
            func settle(_ expected: Set<String>) async throws -> Set<String> {
                var seen: Set<String> = []
                for _ in 0..<50 {
                    seen = []
                    for _ in 0..<4 { seen.insert(try server.client.get("/api/echo").header("x-backend") ?? "none") }
                    if seen == expected { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return seen
            }
            backends[1].setHealthy(false)
            #expect(try await settle(["a"]) == ["a"])
            backends[0].setHealthy(false)
            #expect(try await settle(["none"]) == ["none"])
            let none = try server.client.get("/api/echo")
            #expect(none.status == 503 && none.header("retry-after") == "1")
            backends[1].setHealthy(true)
            #expect(try await settle(["b"]) == ["b"])
        }
    }

    @Test func keepAliveConnectionsToUpstreamsAreReused() async throws {
        try await withProxy(backends: ["a"], { b, config in config.routes = [route("api", b)] }) { server, backends in
            let urls = (0..<20).flatMap { ["-o", "/dev/null", "http://127.0.0.1:\(server.port)/api/echo?n=\($0)"] }
            let out = try Shell.run("curl", ["-s", "-w", "%{http_code}\n"] + urls)
            #expect(out.split(separator: "\n").allSatisfy { $0 == "200" } && out.split(separator: "\n").count == 20)
            #expect(backends[0].requests == 20)
            #expect(backends[0].connections <= 2)
        }
    }

    @Test func bodiesStreamBothWaysAndBodyLimitsHoldPerRoute() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.routes = [route("api", b), route("small", b, prefix: "/small/") { $0.maxBodyBytes = 1000 }]
        }) { server, _ in
            let file = TemporaryDirectory("upload")
            defer { file.remove() }
            let path = file.file("body.bin")
            let bytes = Data((0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            try bytes.write(to: URL(fileURLWithPath: path))
            var checksum: UInt64 = 0
            for byte in bytes { checksum = (checksum &* 31) &+ UInt64(byte) }
            // Chunked upload: the proxy never sees a length.
            let chunked = try Shell.run("curl", ["-s", "-H", "Transfer-Encoding: chunked", "-H", "X-Checksum: 1", "--data-binary", "@\(path)",
                                                 "http://127.0.0.1:\(server.port)/api/echo"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(chunked.utf8)) as? [String: Any])
            #expect(json["bodyBytes"] as? Int == 8 << 20)
            #expect(json["checksum"] as? String == String(checksum))
            let download = try Shell.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                                  "http://127.0.0.1:\(server.port)/api/bytes/50000000?chunked"])
            #expect(download == "200 50000000")
            let head = try server.client.send("HEAD", "/api/bytes/1000")
            #expect(head.status == 200 && head.header("content-length") == "1000" && head.body.isEmpty)

            let big = try server.client.send("POST", "/small/echo", body: Array(repeating: 1, count: 2000))
            #expect(big.status == 413)
            let sneaky = try Shell.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked",
                                                "--data-binary", "@\(path)", "http://127.0.0.1:\(server.port)/small/echo"])
            #expect(sneaky == "413")
            #expect(try server.client.send("POST", "/small/echo", body: Array(repeating: 1, count: 900)).status == 200)
        }
    }

    @Test func webSocketsPassThrough() async throws {
        try await withProxy(backends: ["ws"], { b, config in config.routes = [route("ws", b, prefix: "/ws")] }) { server, backends in
            let direct = try await WebSocketTestClient.connect(port: backends[0].port, path: "/ws/chat")
            var directIterator = direct.messages.makeAsyncIterator()
            try await direct.send("direct")
            #expect(await directIterator.next() == "direct")
            try await direct.close()
            let socket = try await WebSocketTestClient.connect(port: server.port, path: "/ws/chat")
            var iterator = socket.messages.makeAsyncIterator()
            for text in ["hello", String(repeating: "z", count: 100_000), "bye"] {
                try await socket.send(text)
                #expect(await iterator.next() == text)
            }
            try await socket.close()
            // The proxy still answers plain requests afterwards.
            #expect(try server.client.get("/ws/echo").status == 200)
        }
    }

    @Test func proxiedCallsAreTrackedAndHTMLAnswersGiveNewVisitorsACookie() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.routes = [route("api", b) { $0.track = true; $0.setVisitorCookie = true }]
        }) { server, _ in
            let json = try server.client.post("/api/orders?x=1", body: "{\"item\":1}", headers: ["Cookie": "vid=0192d1f0-0000-7000-8000-000000000001"])
            #expect(json.status == 200 && json.header("set-cookie") == nil)
            let page = try server.client.get("/api/html")
            let cookie = try #require(page.header("set-cookie"))
            #expect(cookie.hasPrefix("vid=") && cookie.contains("SameSite=Lax"))
            let vid = String(cookie.dropFirst(4).prefix { $0 != ";" })
            #expect(try server.client.get("/api/app.js").status == 200)
            let events = try await stored(server, count: 2)
            #expect(events.count == 2)
            let order = try #require(events.first { $0[.vid] == "0192d1f0-0000-7000-8000-000000000001" })
            #expect(order[.etyp] == "api" && order[.ename] == "api" && order[.route] == "proxy")
            #expect(order.params["method"] == "POST" && order.params["path"] == "/api/orders")
            #expect(order.nparams["status"] == 200 && order.nparams["bytes_in"] == 10)
            #expect(order[.url]?.hasSuffix("/api/orders") == true)
            #expect(events.contains { $0[.vid] == vid && $0.params["path"] == "/api/html" })
        }
    }

    @Test func proxyUrlShorthandKeepsUpstreamBehaviour() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.proxyURL = UpstreamAddress(b[0].url)
            config.proxyURLFilter = try? NSRegularExpression(pattern: ".*(login|css|js)")
            config.allowOrigin = ["https://app.example.com"]
            config.routes = [.shorthand(config.proxyURL!, filter: config.proxyURLFilter, forceJSON: true, answerOptions: true)]
        }) { server, backends in
            let preflight = try server.client.send("OPTIONS", "/api/users", headers: ["Origin": "https://app.example.com"])
            #expect(preflight.status == 204 || preflight.status == 200)
            #expect(backends[0].requests == 0)
            let response = try server.client.get("/api/users", headers: ["Origin": "https://app.example.com", "Host": "shop.example.com"])
            #expect(response.header("access-control-allow-origin") == "https://app.example.com")
            let seen = headers(response)
            #expect(seen["host"] == ["127.0.0.1:\(backends[0].port)"] && seen["x-forwarded-host"] == ["shop.example.com"])
            #expect(seen["content-type"] == ["application/json"])
            #expect((response.json?["uri"] as? String) == "/api/users")
            _ = try server.client.get("/api/login")
            let events = try await stored(server, count: 1)
            #expect(events.map { $0.params["path"] } == ["/api/users"])
        }
    }

    @Test func httpsUpstreamsAreTrustedThroughTheRoutesCA() async throws {
        let pki = TemporaryDirectory("pki")
        defer { pki.remove() }
        let (ca, caKey, cert, key) = (pki.file("ca.pem"), pki.file("ca.key"), pki.file("server.pem"), pki.file("server.key"))
        _ = try Shell.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "1",
                                      "-subj", "/CN=tracker test CA"])
        _ = try Shell.run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pki.file("server.csr"),
                                      "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: pki.file("ext.cnf"), atomically: true, encoding: .utf8)
        _ = try Shell.run("openssl", ["x509", "-req", "-in", pki.file("server.csr"), "-CA", ca, "-CAkey", caKey, "-CAcreateserial",
                                      "-out", cert, "-days", "1", "-extfile", pki.file("ext.cnf")])
        let secure = try await BackendServer.start(name: "tls", certificate: cert, key: key)
        defer { Task { try? await secure.stop() } }
        try await withProxy(backends: [], { _, config in
            config.routes = [
                ProxyRouteConfiguration(name: "trusted", upstreams: [UpstreamAddress(secure.httpsURL)!])
                    .with { $0.pathPrefix = "/trusted/"; $0.caCertificateFile = ca },
                ProxyRouteConfiguration(name: "untrusted", upstreams: [UpstreamAddress(secure.httpsURL)!])
                    .with { $0.pathPrefix = "/untrusted/" },
            ]
        }) { server, _ in
            let trusted = try server.client.get("/trusted/echo")
            #expect(trusted.status == 200 && trusted.header("x-backend") == "tls")
            // The same server, checked against the system's roots: refused, nothing forwarded.
            #expect(try server.client.get("/untrusted/echo").status == 502)
            #expect(secure.requests == 1)
        }
    }

    @Test func theDailyLimitCountsTrackedEventsAndStopsProxiedCalls() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.routes = [route("api", b)]
            config.proxyDailyLimit = 2
        }) { server, backends in
            for _ in 0..<3 { #expect(try server.client.get("/tr/v1/?ename=view").status == 200) }
            // Server events do not count, as upstream.
            #expect(try server.client.post("/str/v1/", body: "{\"ename\":\"x\"}").status == 200)
            let limited = try server.client.get("/api/echo")
            #expect(limited.status == 429 && limited.text == "API Limit Reached")
            #expect(Int(limited.header("retry-after") ?? "") ?? 0 > 0)
            #expect(backends[0].requests == 0)
            let other = try server.client.get("/api/echo", headers: ["X-Forwarded-For": "9.9.9.9"])
            #expect(other.status == 429)  // X-Forwarded-For from an untrusted peer changes nothing
        }
    }

    @Test func rateLimitsApplyToProxiedRoutes() async throws {
        try await withProxy(backends: ["a"], { b, config in
            config.routes = [route("api", b)]
            config.rateLimits = [RateLimitConfiguration(name: "api", paths: ["/api/"], limit: 2, periodSeconds: 60, header: nil)]
        }) { server, backends in
            #expect(try server.client.get("/api/echo").header("ratelimit-limit") != nil)
            _ = try server.client.get("/api/echo")
            let limited = try server.client.get("/api/echo")
            #expect(limited.status == 429 && limited.header("retry-after") != nil)
            #expect(backends[0].requests == 2)
        }
    }
}
