import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// Short links, the links API and upstream's shortener routes, over HTTP against the real server.
@Suite(.serialized) struct ShortLinkTests {
    func withServer(_ body: (RunningServer, String) async throws -> Void) async throws {
        let server = try await RunningServer.start { config in
            config.shortLinkHosts = ["go.example.com", "go2.example.com"]
            config.domains = ["t.example.com"]
            config.redirectAllowList = ["shop.example.com"]
        }
        do {
            let store = try #require(server.server.application.shortLinks?.store)
            let key = LinkCredentials.newKey(random: SystemRandomSource())
            try await store.saveKey(APIKey(id: key.id, secretHash: key.secretHash, name: "test", sites: ["go.example.com"], created: Date()))
            try await body(server, key.token)
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    func api(_ server: RunningServer, _ method: String, _ path: String, token: String?, _ body: String = "") throws -> HTTPTestClient.Response {
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try server.client.send(method, path, headers: headers, body: Array(body.utf8))
    }

    @Test func linksAreCreatedFollowedCaseInsensitivelyCountedAndTracked() async throws {
        try await withServer { server, token in
            let created = try api(server, "POST", "/rpi/v1/links", token: token,
                                  #"{"host":"go.example.com","slug":"Spring","target":"https://shop.example.com/Sale?x=1","fields":{"campaign":"spring","source":"mail"}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json?["url"] as? String == "http://go.example.com/spring")
            #expect(try api(server, "POST", "/rpi/v1/links", token: token, #"{"host":"go.example.com","slug":"spring","target":"https://a.example/"}"#).status == 409)

            let follow = try server.client.get("/SPRING?utm_medium=qr", headers: ["Host": "go.example.com", "User-Agent": "Browser/1"])
            #expect(follow.status == 302)
            #expect(follow.header("location") == "https://shop.example.com/Sale?x=1")
            #expect(follow.header("cache-control") == "no-store")
            #expect(follow.header("set-cookie")?.hasPrefix("vid=") == true, "upstream could not set it here (§18.15)")
            let events = try await server.events(atLeast: 1)
            let event = try #require(events.first)
            #expect(event[.etyp] == "redirect" && event[.ename] == "short_rdr")
            #expect(event[.campaign] == "spring" && event[.source] == "mail" && event[.medium] == "qr")
            #expect(event[.url] == "//shop.example.com/Sale" && event[.last] == "//go.example.com/spring")

            _ = try server.client.get("/spring", headers: ["Host": "go.example.com"])
            await server.server.application.shortLinks?.flushHits()
            let listed = try api(server, "GET", "/rpi/v1/links?host=go.example.com", token: token)
            let links = try #require(listed.json?["links"] as? [[String: Any]])
            #expect(links.count == 1 && links.first?["hits"] as? Int == 2)

            #expect(try server.client.get("/nope", headers: ["Host": "go.example.com"]).status == 404)
            #expect(try server.client.get("/spring", headers: ["Host": "elsewhere.example.com"]).status == 404,
                    "only configured short-link hosts resolve")
        }
    }

    @Test func changesShowAtOnceAndDeletedLinksStop() async throws {
        try await withServer { server, token in
            #expect(try api(server, "PUT", "/rpi/v1/links/go.example.com/promo", token: token, #"{"target":"https://a.example/"}"#).status == 200)
            #expect(try server.client.get("/promo", headers: ["Host": "go.example.com"]).header("location") == "https://a.example/")
            #expect(try api(server, "PUT", "/rpi/v1/links/go.example.com/promo", token: token,
                            #"{"target":"https://b.example/","permanent":true}"#).status == 200)
            let moved = try server.client.get("/promo", headers: ["Host": "go.example.com"])
            #expect(moved.status == 301 && moved.header("location") == "https://b.example/", "the cache was invalidated")
            let one = try api(server, "GET", "/rpi/v1/links/go.example.com/promo", token: token)
            #expect(one.json?["target"] as? String == "https://b.example/" && one.json?["permanent"] as? Bool == true)
            #expect(try api(server, "DELETE", "/rpi/v1/links/go.example.com/promo", token: token).status == 204)
            #expect(try api(server, "DELETE", "/rpi/v1/links/go.example.com/promo", token: token).status == 404)
            #expect(try server.client.get("/promo", headers: ["Host": "go.example.com"]).status == 404)
        }
    }

    @Test func randomSlugsAndValidation() async throws {
        try await withServer { server, token in
            let created = try api(server, "POST", "/rpi/v1/links", token: token, #"{"host":"go.example.com","target":"https://a.example/"}"#)
            let slug = try #require(created.json?["slug"] as? String)
            #expect(slug.count == 7 && slug.allSatisfy { $0.isLowercase || $0.isNumber })
            let cases: [(String, Int)] = [
                (#"{"host":"go.example.com","target":"javascript:alert(1)"}"#, 400),
                (#"{"host":"go.example.com","target":"https://u:p@a.example/"}"#, 400),
                (#"{"host":"go.example.com","target":"https://go.example.com/loop"}"#, 400),
                (#"{"host":"go.example.com","slug":"tr/v1","target":"https://a.example/"}"#, 400),
                (#"{"host":"go.example.com","target":"https://a.example/","permanent":"yes"}"#, 400),
                (#"{"host":"go.example.com"}"#, 400),
                (#"not json"#, 400),
                (#"{"host":"go2.example.com","target":"https://a.example/"}"#, 403),
            ]
            for (body, status) in cases {
                let response = try api(server, "POST", "/rpi/v1/links", token: token, body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.json?["error"] is String, "\(body)")
            }
        }
    }

    @Test func keysAreRequiredAndScoped() async throws {
        try await withServer { server, token in
            let missing = try api(server, "GET", "/rpi/v1/links", token: nil)
            #expect(missing.status == 401 && missing.header("www-authenticate")?.hasPrefix("Bearer") == true)
            let forged = token.dropLast(2) + "xx"
            #expect(try api(server, "GET", "/rpi/v1/links", token: String(forged)).status == 401)
            #expect(try api(server, "GET", "/rpi/v1/links?host=go2.example.com", token: token).status == 403)
            #expect(try api(server, "PUT", "/rpi/v1/links/go2.example.com/x", token: token, #"{"target":"https://a.example/"}"#).status == 403)
            let store = try #require(server.server.application.shortLinks?.store)
            try await store.saveLink(ShortLink(host: "go2.example.com", slug: "theirs", target: "https://c.example/", updated: Date(), updater: "other"))
            let mine = try api(server, "GET", "/rpi/v1/links", token: token)
            #expect((mine.json?["links"] as? [Any])?.isEmpty == true, "another host's links are not listed")
            let preflight = try server.client.send("OPTIONS", "/rpi/v1/links", headers: ["Origin": "chrome-extension://abc"])
            #expect(preflight.header("access-control-allow-headers")?.contains("Authorization") == true)
            #expect(preflight.header("access-control-allow-methods")?.contains("DELETE") == true)
        }
    }

    @Test func aLinkToOurOwnRedirectResolvesInOneHop() async throws {
        try await withServer { server, token in
            let target = "https://t.example.com/rdr/v1/?utm_source=news&xid=exp1&url=https%3A%2F%2Fshop.example.com%2Fwelcome"
            #expect(try api(server, "PUT", "/rpi/v1/links/go.example.com/news", token: token, #"{"target":"\#(target)"}"#).status == 200)
            let hop = try server.client.get("/news", headers: ["Host": "go.example.com"])
            #expect(hop.header("location") == "https://shop.example.com/welcome")
            let event = try #require(try await server.events(atLeast: 1).first)
            #expect(event[.source] == "news" && event[.xid] == "exp1" && event[.ename] == "short_rdr")
            #expect(event[.url] == "//shop.example.com/welcome")

            let outside = "https://t.example.com/rdr/v1/?url=https%3A%2F%2Fevil.example%2F"
            #expect(try api(server, "PUT", "/rpi/v1/links/go.example.com/evil", token: token, #"{"target":"\#(outside)"}"#).status == 200)
            #expect(try server.client.get("/evil", headers: ["Host": "go.example.com"]).header("location") == "/",
                    "the allow-list still applies to the final hop")
        }
    }

    @Test func upstreamsShortenerRoutesKeepWorkingWithSlowHashes() async throws {
        try await withServer { server, _ in
            let store = try #require(server.server.application.shortLinks?.store)
            try await store.saveAccount(uid: "alice", passwordHash: LinkCredentials.hashPassword("s3cret", random: SystemRandomSource(), rounds: 2000))
            let body = #"{"urlfrom":"https://go.example.com/Old-Promo","urlto":"https://example.org/x","searchto":"?a=1"}"#
            let created = try server.client.post("/rpi/v1/redirect/alice/s3cret", body: body)
            #expect(created.status == 200 && created.body.isEmpty, "\(created.text)")
            #expect(try server.client.post("/rpi/v1/redirect/alice/wrong", body: body).text == "Bad pass")
            #expect(try server.client.post("/rpi/v1/redirect/mallory/s3cret", body: body).status == 401)
            let cases: [(String, String)] = [
                (#"{"urlfrom":"https://go.example.com/a"}"#, "Bad URL (null)"),
                (#"{"urlfrom":1,"urlto":"https://x.example/"}"#, "Bad URL (from)"),
                (#"{"urlfrom":"https://go.example.com/a","urlto":"ftp://x.example/"}"#, "Bad URL (destination)"),
                (#"{"urlfrom":"https://go.example.com/a","urlto":"HTTPS://GO.EXAMPLE.COM/A"}"#, "Bad URL (equal)"),
                (#"{"urlfrom":"https://go.example.com/","urlto":"https://x.example/"}"#, "Bad URL (from path)"),
                ("[", "Bad request (data)"),
            ]
            for (body, text) in cases {
                let response = try server.client.post("/rpi/v1/redirect/alice/s3cret", body: body)
                #expect(response.status == 400 && response.text.hasPrefix(text), "\(body): \(response.text)")
            }
            let follow = try server.client.get("/old-promo", headers: ["Host": "go.example.com"])
            #expect(follow.header("location") == "https://example.org/x", "mixed case resolves (upstream 404ed, §18.9)")
            let list = try server.client.get("/rpi/v1/redirects/alice/s3cret/go.example.com")
            let results = try #require(list.json?["results"] as? [[String: Any]])
            #expect(results.count == 1 && results.first?["urlto"] as? String == "https://example.org/x")
            #expect(results.first?["slugfrom"] as? String == "/old-promo" && results.first?["searchto"] as? String == "?a=1")
            let other = try server.client.get("/rpi/v1/redirects/alice/s3cret/go2.example.com")
            #expect((other.json?["results"] as? [Any])?.isEmpty == true, "the host filters (upstream ignored it)")
        }
    }
}
