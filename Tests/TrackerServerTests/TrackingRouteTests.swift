import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The real server on a free port, spoken to over HTTP.
@Suite(.serialized) struct TrackingRouteTests {
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

    @Test func pingStatusHealthAndClear() async throws {
        try await withServer { server in
            let ping = try server.client.get("/ping")
            #expect(ping.status == 200 && ping.text == "pong")
            // Every answer says when it was made (RFC 9110 §6.6.1), in IMF-fixdate.
            #expect(ping.header("date").flatMap(HTTPDateText.parse).map { abs($0.timeIntervalSinceNow) < 30 } == true)
            let status = try server.client.get("/status")
            #expect(status.status == 200)
            #expect(status.header("content-type") == "application/json")
            #expect(status.json?["version"] as? String == "0.1.0")
            #expect(status.json?["client"] as? String == "127.0.0.1")
            #expect((status.json?["spool"] as? [String: Any])?["depth"] as? Int == 0)
            let health = try server.client.get("/health")
            #expect(health.status == 200 && health.json?["status"] as? String == "ok")
            let clear = try server.client.get("/clear")
            #expect(clear.header("clear-site-data") == "\"*\"")
            #expect(try server.client.get("/nothing/here").status == 404)
        }
    }

    /// Answers are written as bytes on HTTP/1: each must end where its length says, keep-alive
    /// as HTTP/1.0 asks it, and a HEAD has the length without the body.
    @Test func answersOnOneConnectionEndWhereTheySay() async throws {
        try await withServer { server in
            let requests = ["GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n",
                            "GET /img/v1/?ename=open HTTP/1.1\r\nHost: x\r\n\r\n", "GET /ping HTTP/1.0\r\n\r\n"]
            let text = try server.client.rawUntilClosed(Array(requests.joined().utf8))
            let answers = text.components(separatedBy: "HTTP/1.").dropFirst().map { $0.lowercased() }
            try #require(answers.count == 4, "\(text)")
            #expect(answers[0].hasPrefix("0 200") && answers[0].contains("connection: keep-alive") && answers[0].hasSuffix("\r\n\r\npong"))
            #expect(answers[1].hasPrefix("1 200") && answers[1].contains("content-length: 4") && answers[1].hasSuffix("\r\n\r\n"))
            #expect(answers[2].contains("content-type: image/gif") && answers[2].contains("content-length: 43"))
            #expect(answers[3].hasPrefix("0 200") && answers[3].contains("connection: close") && answers[3].hasSuffix("pong"))
        }
    }

    @Test func clientEventFromPathAndQueryIsStoredAndSetsTheVisitorCookie() async throws {
        try await withServer { server in
            let response = try server.client.get("/tr/v1/ename/Sign%20Up/ROCK/ON/?utm_source=Newsletter&gu=1",
                                                 headers: ["Host": "tr.example.co.uk", "User-Agent": "TestAgent/1"])
            #expect(response.status == 200)
            let cookie = try #require(response.header("set-cookie"))
            #expect(cookie.contains("Domain=example.co.uk"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
            let events = try await stored(server)
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event[.ename] == "Sign Up")
            #expect(event[.source] == "Newsletter")
            #expect(event.params == ["rock": "ON", "gu": "1"])
            #expect(event[.host] == "tr.example.co.uk")
            #expect(event[.route] == "tr")
            #expect(cookie.hasPrefix("vid=\(event[.vid]!);"))
        }
    }

    /// A new visitor's session is not remembered by the server (its id is derived from the
    /// visitor's), yet the visitor's next hits, with its cookie, are in the same session.
    @Test func aNewVisitorsNextHitsShareItsSession() async throws {
        try await withServer { server in
            let first = try server.client.get("/img/v1/?utm_source=mail")
            let cookie = try #require(first.header("set-cookie")?.split(separator: ";").first.map(String.init))
            _ = try server.client.get("/img/v1/?utm_content=second", headers: ["Cookie": cookie])
            _ = try server.client.post("/tr/v1/", body: #"{"ename":"click"}"#, headers: ["Cookie": cookie])
            _ = try server.client.get("/img/v1/")
            let events = try await stored(server)
            #expect(events.count == 4)
            let visitor = events.filter { "vid=\($0[.vid] ?? "")" == cookie }
            #expect(visitor.count == 3 && Set(visitor.map { $0[.sid] }).count == 1, "\(events.map { ($0[.vid], $0[.sid]) })")
            #expect(visitor.first?[.sid] != visitor.first?[.vid])
            #expect(events.filter { $0[.sid] == visitor.first?[.sid] }.count == 3, "another new visitor has its own session")
        }
    }

    @Test func bothURLLayoutsReachTheSameRoutes() async throws {
        try await withServer { server in
            #expect(try server.client.get("/tr/v1/tr/ename/a").status == 200)
            #expect(try server.client.get("/tr/v1/img/ename/b").header("content-type") == "image/gif")
            let str = try server.client.post("/tr/v1/str/", body: #"{"ename":"c"}"#)
            #expect(str.json?["eid"] != nil)
            let names = try await stored(server).compactMap { $0[.ename] }.sorted()
            #expect(names == ["a", "b", "c"])
        }
    }

    @Test func serverEventAnswersItsEventIdAndABatchAnswersAll() async throws {
        try await withServer { server in
            let one = try server.client.post("/str/v1/", body: #"{"ename":"invoice_paid","rel":1,"uid":"admin"}"#)
            #expect(one.status == 200)
            #expect(one.header("content-type") == "application/json")
            #expect(one.header("set-cookie") == nil)
            let eid = try #require(one.json?["eid"] as? String)
            let batch = try server.client.post("/str/v1/", body: #"[{"ename":"a"},{"ename":"b"}]"#, contentType: "text/plain")
            let eids = try #require(batch.json?["eids"] as? [String])
            #expect(eids.count == 2)
            let events = try await stored(server)
            #expect(Set(events.map(\.eid)) == Set([eid] + eids))
            #expect(events.first { $0.eid == eid }?[.rel] == "1")
            #expect(events.allSatisfy { $0.isServer })
        }
    }

    @Test func malformedOversizeAndOddMethodsAreRefusedAndNothingIsStored() async throws {
        try await withServer({ $0.maxBodyBytes = 1024 }) { server in
            let bad = try server.client.post("/tr/v1/", body: "{bad", contentType: "text/plain")
            #expect(bad.status == 400)
            #expect(bad.json?["error"] as? String == DropReason.malformedJSON.message)
            let big = try server.client.post("/str/v1/", body: "{\"a\":\"\(String(repeating: "x", count: 5000))\"}")
            #expect(big.status == 413)
            #expect(try server.client.send("DELETE", "/tr/v1/").status == 405)
            #expect(try await stored(server).isEmpty)
            // The pixel takes no body: a broken one changes nothing about its answer or its hit.
            let pixel = try server.client.post("/img/v1/", body: "{bad")
            #expect(pixel.status == 200)
            #expect(pixel.body == Pixel.gif)
            #expect(try await stored(server).map { $0[.route] } == ["img"])
            let status = try server.client.get("/status")
            let drops = try #require(status.json?["dropped_events"] as? [String: Int])
            #expect(drops["malformed_json"] == 1)
            #expect(drops["body_too_large"] == 1)
            #expect(drops["unsupported_method"] == 1)
            #expect(status.json?["conns"] as? Int == 0, "a slot leaked")
        }
    }

    @Test func thePixelIsAlwaysTheSameUncachedGIF() async throws {
        try await withServer { server in
            for target in ["/img/v1/?utm_source=mail&utm_content=open", "/img/v1/%ZZ/%", "/img/v1/a/b/c"] {
                let response = try server.client.get(target)
                #expect(response.status == 200)
                #expect(response.header("content-type") == "image/gif")
                #expect(response.header("cache-control")?.contains("no-store") == true)
                #expect(response.body == Pixel.gif)
            }
            #expect(try await stored(server).count == 3)
        }
    }

    @Test func withDebugThePixelAndTheRedirectSayWhyTheirEventsWereDropped() async throws {
        try await withServer({ config in
            config.debug = true
            config.maxValueLength = 100
            config.allowOrigin = ["https://shop.example"]
        }) { server in
            let long = String(repeating: "a", count: 200)
            let origin = ["Origin": "https://shop.example"]
            let pixel = try server.client.get("/img/v1/?ename=\(long)", headers: origin)
            #expect(pixel.status == 200 && pixel.body == Pixel.gif && pixel.header("content-type") == "image/gif")
            #expect(pixel.header("x-tracker-drop")?.hasPrefix("value_too_long") == true, "\(pixel.headers("x-tracker-drop"))")
            let redirect = try server.client.get("/rdr/v1/?url=/landing&ename=\(long)", headers: origin)
            #expect(redirect.status == 302 && redirect.header("location") == "/landing")
            #expect(redirect.header("x-tracker-drop") != nil)
            for answer in [pixel, redirect] {
                #expect(answer.headers("access-control-allow-origin") == ["https://shop.example"])
                #expect(answer.headers("vary") == ["Origin"])
                #expect(answer.header("set-cookie") == nil)
            }
            // Stored: the same answers, without the header, and with the cookie.
            let stored = try server.client.get("/img/v1/?ename=open", headers: origin)
            #expect(stored.header("x-tracker-drop") == nil && stored.header("set-cookie")?.hasPrefix("vid=") == true)
            #expect(stored.headers("vary") == ["Origin"])
            #expect(try await self.stored(server).count == 1)
        }
    }

    /// A visitor id the client chose is stored as sent, but set as a cookie only when it can be
    /// one; a redirect target with a control character goes to the default. Neither breaks the
    /// answer (both were a 500 after the events were stored, which a client retries).
    @Test func idsAndTargetsThatCannotBeHeadersAreNotSent() async throws {
        try await withServer({ config in
            config.domains = ["example.com"]
            config.defaultRedirect = "https://example.com/"
        }) { server in
            for vid in ["x\ny", "a; Domain=evil.example", "quo\"te", "sp ace"] {
                var body = "{\"vid\":"
                JSONWriter.quote(vid, into: &body)
                body += "}"
                let response = try server.client.post("/tr/v1/", body: body)
                #expect(response.status == 200, "\(vid)")
                #expect(response.header("set-cookie") == nil, "\(vid)")
            }
            let plain = try server.client.post("/tr/v1/", body: #"{"vid":"my-visitor-7"}"#)
            #expect(plain.header("set-cookie")?.hasPrefix("vid=my-visitor-7;") == true)
            for target in ["https%3A%2F%2Fexample.com%2F%0D%0AX-Evil%3A1", "%2Fa%0Ab", "%2Fa%7Fb"] {
                let redirect = try server.client.get("/rdr/v1/?url=\(target)")
                #expect(redirect.status == 302 && redirect.header("location") == "https://example.com/", "\(target)")
                #expect(redirect.header("x-evil") == nil)
            }
            let stored = try await stored(server)
            #expect(stored.count == 8)
            #expect(stored.contains { $0[.vid] == "a; Domain=evil.example" })
        }
    }

    @Test func redirectsGoOnlyToAllowedHosts() async throws {
        try await withServer({ config in
            config.domains = ["example.com"]
            config.redirectAllowList = ["*.partner.org"]
            config.defaultRedirect = "https://example.com/"
        }) { server in
            let allowed = try server.client.get("/rdr/v1/?url=https%3A%2F%2Fexample.com%2FLanding%3Fa%3D1&utm_campaign=Spring")
            #expect(allowed.status == 302)
            #expect(allowed.header("location") == "https://example.com/Landing?a=1")
            #expect(try server.client.get("/rdr/v1/?url=https://shop.partner.org/x").header("location") == "https://shop.partner.org/x")
            #expect(try server.client.get("/rdr/v1/?url=/local/path").header("location") == "/local/path")
            for evil in ["https://evil.com/", "//evil.com/", "javascript:alert(1)", "https://example.com.evil.com/", "/\\evil.com"] {
                let target = evil.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                #expect(try server.client.get("/rdr/v1/?url=\(target)").header("location") == "https://example.com/", "\(evil)")
            }
            let events = try await stored(server)
            #expect(events.count == 8)
            #expect(events.contains { $0[.url] == "//example.com/Landing" && $0[.campaign] == "Spring" })
        }
    }

    @Test func publicFilesAreServedSafelyAndTracked() async throws {
        try await withServer { server in
            let root = server.server.configuration.staticDirectory
            try FileManager.default.createDirectory(atPath: root + "/docs", withIntermediateDirectories: true)
            try "<h1>hi</h1>".write(toFile: root + "/docs/index.html", atomically: true, encoding: .utf8)
            try "secret".write(toFile: server.directory.file("outside.txt"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: server.directory.file("outside.txt"))
            let page = try server.client.get("/pub/v1/docs/")
            #expect(page.status == 200 && page.text == "<h1>hi</h1>")
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            let lastModified = try #require(page.header("last-modified"))
            #expect(try server.client.get("/pub/v1/docs/index.html", headers: ["If-Modified-Since": lastModified]).status == 304)
            for attack in ["/pub/v1/../outside.txt", "/pub/v1/%2e%2e/outside.txt", "/pub/v1/docs/%2F..%2F..%2Foutside.txt", "/pub/v1/link.txt"] {
                let response = try server.client.get(attack)
                #expect(response.status == 404, "\(attack)")
                #expect(!response.text.contains("secret"))
            }
            #expect(try await stored(server).contains { $0[.url] == "/pub/v1/docs/" && $0[.route] == "pub" })
        }
    }

    @Test func corsEchoesAllowedOriginsWithCredentialsAndNeverAStar() async throws {
        try await withServer({ $0.allowOrigin = ["https://shop.example"] }) { server in
            let preflight = try server.client.send("OPTIONS", "/tr/v1/", headers: ["Origin": "https://shop.example"])
            #expect(preflight.status == 200)
            #expect(preflight.header("access-control-allow-origin") == "https://shop.example")
            #expect(preflight.header("access-control-allow-credentials") == "true")
            #expect(preflight.header("access-control-allow-headers")?.contains("Content-Type") == true)
            let foreign = try server.client.get("/tr/v1/", headers: ["Origin": "https://other.example"])
            #expect(foreign.header("access-control-allow-origin") == nil)
        }
        try await withServer { server in
            let any = try server.client.get("/ping", headers: ["Origin": "https://a.example"])
            #expect(any.header("access-control-allow-origin") == "https://a.example")
            #expect(any.header("vary") == "Origin")
        }
    }

    @Test func forwardedHeadersCountOnlyFromTrustedProxies() async throws {
        try await withServer({ $0.storeRawIP = true }) { server in
            _ = try server.client.get("/tr/v1/", headers: ["X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"])
            let event = try #require(try await stored(server).first)
            #expect(event[.ip] == "127.0.0.1")
        }
        try await withServer({ config in
            config.storeRawIP = true
            config.trustedProxies = [IPNetwork("127.0.0.1")!]
        }) { server in
            let response = try server.client.get("/tr/v1/", headers: ["X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https",
                                                                      "Host": "tr.example.com"])
            #expect(response.header("set-cookie")?.contains("; Secure") == true)
            let event = try #require(try await stored(server).first)
            #expect(event[.ip] == "198.51.100.7")
            _ = try server.client.get("/tr/v1/ename/standard", headers: ["Forwarded": "for=198.51.100.8;proto=https"])
            #expect(try await stored(server).first { $0[.ename] == "standard" }?[.ip] == "198.51.100.8")
        }
    }

    @Test func theConnectionCapAnswers503AndGivesSlotsBack() async throws {
        try await withServer({ $0.maximumConnections = 1 }) { server in
            let held = try #require(server.server.application.limiter.acquire())
            let refused = try server.client.get("/tr/v1/")
            #expect(refused.status == 503)
            #expect(refused.header("retry-after") == "1")
            held.release()
            #expect(try server.client.get("/tr/v1/").status == 200)
            #expect(try server.client.post("/tr/v1/", body: "{bad").status == 400)
            #expect(try server.client.get("/tr/v1/").status == 200)
            #expect(server.server.application.limiter.current == 0)
        }
    }

    @Test func aFullStoreAnswers503AndHealthSaysSo() async throws {
        try await withServer({ $0.maxDatabaseBytes = 192 * 1024 }) { server in
            let big = String(repeating: "x", count: 4000)
            var refused: HTTPTestClient.Response?
            for i in 0..<500 {
                let response = try server.client.post("/str/v1/", body: #"{"ename":"fill","n":\#(i),"pad":"\#(big)"}"#)
                if response.status != 200 { refused = response; break }
            }
            let response = try #require(refused, "the quota was never reached")
            #expect(response.status == 503)
            #expect(response.header("retry-after") == "1")
            #expect(response.json?["error"] as? String == DropReason.storageUnavailable.message)
            let health = try server.client.get("/health")
            #expect(health.status == 503)
            #expect((health.json?["problem"] as? String)?.contains("failed") == true)
            let pixel = try server.client.get("/img/v1/")
            #expect(pixel.status == 200 && pixel.body == Pixel.gif)
        }
    }

    @Test func rateLimitsAnswer429WithHeadersButNeverBreakThePixel() async throws {
        try await withServer({ config in
            config.trustedProxies = [IPNetwork("127.0.0.1")!]
            config.rateLimits = [
                RateLimitConfiguration(name: "tracking", paths: ["/tr/", "/img/"], limit: 3, periodSeconds: 3600, header: nil),
                RateLimitConfiguration(name: "keys", paths: ["/str/"], limit: 1, periodSeconds: 3600, header: "X-Api-Key"),
            ]
        }) { server in
            let a = ["X-Forwarded-For": "203.0.113.1"]
            for _ in 0..<3 { #expect(try server.client.get("/tr/v1/", headers: a).status == 200) }
            let refused = try server.client.get("/tr/v1/", headers: a)
            #expect(refused.status == 429)
            #expect(refused.json?["error"] as? String == DropReason.rateLimited.message)
            #expect(Int(refused.header("retry-after") ?? "") ?? 0 >= 1)
            #expect(refused.header("ratelimit-limit") == "3")
            #expect(refused.header("ratelimit-remaining") == "0")
            #expect(refused.header("ratelimit-policy") == "3;w=3600;name=\"tracking\"")
            let pixel = try server.client.get("/img/v1/", headers: a)
            #expect(pixel.status == 200 && pixel.body == Pixel.gif)
            let other = try server.client.get("/tr/v1/", headers: ["X-Forwarded-For": "203.0.113.2"])
            #expect(other.status == 200)
            #expect(other.header("ratelimit-remaining") == "2")
            let keyed = try server.client.post("/str/v1/", body: "{}", headers: ["X-Api-Key": "k1"])
            #expect(keyed.status == 200, "\(keyed.status) \(keyed.text) \(keyed.headers)")
            #expect(try server.client.post("/str/v1/", body: "{}", headers: ["X-Api-Key": "k1"]).status == 429)
            #expect(try server.client.post("/str/v1/", body: "{}", headers: ["X-Api-Key": "k2"]).status == 200)
            #expect(try await stored(server).count == 3 + 1 + 2)
            let drops = try #require(try server.client.get("/status").json?["dropped_events"] as? [String: Int])
            #expect(drops["rate_limited"] == 3)
        }
    }

    @Test func sessionsSurviveARestart() async throws {
        let directory = TemporaryDirectory("restart")
        defer { directory.remove() }
        func start() async throws -> RunningServer {
            try await RunningServer.start { config in config.dataDirectory = directory.file("data") }
        }
        let first = try await start()
        _ = try first.client.get("/img/v1/", headers: ["Cookie": "vid=reader-1"])
        let before = try #require(try await first.server.store.events(EventQuery()).first?[.sid])
        await first.server.shutdown()
        let second = try await start()
        _ = try second.client.get("/img/v1/", headers: ["Cookie": "vid=reader-1"])
        let sids = try await second.server.store.events(EventQuery()).compactMap { $0[.sid] }
        #expect(sids == [before, before])
        try await second.stop()
    }

    @Test func noTableOrColumnHoldsTheClientIP() async throws {
        try await withServer { server in
            _ = try server.client.get("/tr/v1/ename/x/?email=a@b.com", headers: ["User-Agent": "UA"])
            _ = try server.client.post("/str/v1/", body: #"{"uname":"Ann","cell":"+15550100"}"#)
            _ = try server.client.get("/img/v1/")
            let dump = try Shell.run("sqlite3", [server.server.configuration.databasePath, ".dump"])
            #expect(dump.contains("INSERT INTO events"))
            for secret in ["127.0.0.1", "a@b.com", "Ann", "+15550100"] {
                #expect(!dump.contains(secret), "the store holds \(secret)")
            }
        }
    }

    /// `DNT: 1` and `Sec-GPC: 1` make the server count without identity (the headers alone, no
    /// flag from a script), unless the operator turns `HonorPrivacySignals` off.
    @Test func privacySignalsInHeadersMakeAHitCookieless() async throws {
        let vid = "3d0be300-cbd2-11e8-aa59-ffd128a54d91"
        try await withServer { server in
            for header in ["DNT", "Sec-GPC"] {
                let response = try server.client.post("/tr/v1/", body: #"{"vid":"\#(vid)","ename":"\#(header)"}"#,
                                                      contentType: "text/plain", headers: [header: "1"])
                #expect(response.status == 200 && response.header("set-cookie") == nil, "\(header)")
            }
            let events = try await server.events(atLeast: 2)
            #expect(events.count == 2 && events.allSatisfy { $0[.vid] != vid && $0.params["cookieless"] == "true" })
        }
        try await withServer({ $0.honorPrivacySignals = false }) { server in
            _ = try server.client.post("/tr/v1/", body: #"{"vid":"\#(vid)"}"#, headers: ["DNT": "1"])
            #expect(try await server.events(atLeast: 1).first?[.vid] == vid)
        }
    }
}
