import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The tracking routes and the server's own, over HTTP to the real server on a free port.
@Suite(.serialized) struct TrackingRouteTests: TrackingServerSuite {
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
}
