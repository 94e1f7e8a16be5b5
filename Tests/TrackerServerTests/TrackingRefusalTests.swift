import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// What the tracking routes refuse or limit, over HTTP to the real server: malformed and
/// oversize input, the connection cap, a full store, rate limits, ids and targets that cannot be
/// headers, and what `Debug` says about it.
@Suite(.serialized) struct TrackingRefusalTests: TrackingServerSuite {
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
}
