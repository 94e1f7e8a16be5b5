import Foundation
import Testing
@testable import TrackerConfig
import TrackerCore

@Suite struct ProxyRouteConfigurationTests {
    func decode(_ text: String) throws -> TrackerConfiguration {
        guard case .object(let document) = try JSONParser.parse(text) else { throw ConfigError(problems: []) }
        return try TrackerConfiguration.decode(document, environment: [:])
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try decode(text)
            return []
        } catch {
            return (error as? ConfigError)?.problems.map { "\($0.path): \($0.message)" } ?? ["\(error)"]
        }
    }

    @Test func aFullRouteReadsEveryKey() throws {
        let config = try decode("""
        {"Routes": [{"Name": "api", "Hosts": ["API.example.com", "*.example.org"], "PathPrefix": "/api/",
          "Upstreams": ["http://10.0.0.5:3000", "https://[::1]", "http://backend"], "Balance": "least_conn",
          "StripPrefix": true, "AddPrefix": "/v2/", "PassHost": false, "ConnectTimeout": "2s", "ResponseTimeout": "30s",
          "IdleTimeout": "1m", "MaxFails": 5, "FailTimeout": "20s", "HealthCheck": {"Path": "/health", "Interval": "3s"},
          "MaxBodySize": "10MiB", "Track": true, "TrackExclude": "\\\\.png$", "SetVisitorCookie": true,
          "RequestHeaders": {"Set": {"X-Api-Key": "k"}, "Remove": ["Cookie"]}, "ResponseHeaders": {"Set": {"X-Frame-Options": "DENY"}},
          "CORS": true, "ForceJSON": true, "WebSockets": false}]}
        """)
        let route = try #require(config.routes.first)
        #expect(route.name == "api" && route.hosts == ["api.example.com", "*.example.org"] && route.pathPrefix == "/api/")
        #expect(route.upstreams.map(\.description) == ["http://10.0.0.5:3000", "https://[::1]", "http://backend"])
        #expect(route.upstreams[1].port == 443 && route.upstreams[2].port == 80 && route.upstreams[1].tls)
        #expect(route.balance == .leastConnections && route.stripPrefix && route.addPrefix == "/v2" && !route.passHost)
        #expect(route.connectTimeoutSeconds == 2 && route.responseTimeoutSeconds == 30 && route.idleTimeoutSeconds == 60)
        #expect(route.maxFails == 5 && route.failTimeoutSeconds == 20)
        #expect(route.healthCheck == ProxyRouteConfiguration.HealthCheck(path: "/health", intervalSeconds: 3, timeoutSeconds: 2))
        #expect(route.maxBodyBytes == 10 << 20 && route.track && route.setVisitorCookie && route.cors && route.forceJSON && !route.webSockets)
        #expect(route.trackExclude?.pattern == "\\.png$")
        #expect(route.requestHeaders.set.map(\.name) == ["X-Api-Key"] && route.requestHeaders.remove == ["Cookie"])
        #expect(route.responseHeaders.set.map(\.value) == ["DENY"])
    }

    @Test func mistakesAreNamedByTheirPath() {
        #expect(problems("""
        {"Routes": [{"Upstreams": ["ftp://x", "http://a:99999", "http://a/path"], "Balance": "random", "Colour": 1,
                     "PathPrefix": "api", "HealthCheck": {"Interval": "1s"}, "RequestHeaders": {"Set": ["x"]}},
                    {"Name": "empty"}]}
        """) == [
            "$.Routes[0].Colour: unknown key",
            "$.Routes[0].Upstreams[0]: expected http://HOST:PORT or https://HOST:PORT, found ftp://x",
            "$.Routes[0].Upstreams[1]: expected http://HOST:PORT or https://HOST:PORT, found http://a:99999",
            "$.Routes[0].Upstreams[2]: no path here: use AddPrefix",
            "$.Routes[0].PathPrefix: must start with /",
            "$.Routes[0].Balance: expected \"round_robin\" or \"least_conn\"",
            "$.Routes[0].HealthCheck.Path: required, starting with /",
            "$.Routes[0].RequestHeaders.Set: expected an object of header names to values",
            "$.Routes[1].Upstreams: required: one or more http:// or https:// servers",
        ])
    }

    /// Rule headers are written to sockets as they are: one that would split a message is refused.
    @Test func headerRulesMustBeValidHeaders() {
        #expect(problems("""
        {"Routes": [{"Upstreams": ["http://a:1"], "ResponseHeaders": {"Set": {"X-Ok": "1", "Bad Name": "v", "X-Split": "a\\r\\nSet-Cookie: x=1"}}}]}
        """) == [
            "$.Routes[0].ResponseHeaders.Set.Bad Name: not a valid header: a name is a token, a value has no control characters",
            "$.Routes[0].ResponseHeaders.Set.X-Split: not a valid header: a name is a token, a value has no control characters",
        ])
    }

    @Test func upstreamsProxyUrlIsTheApiShorthand() throws {
        let config = try decode("""
        {"ProxyUrl": "http://127.0.0.1:9000/ignored", "ProxyUrlFilter": ".*(login|css)", "ProxyForceJson": true,
         "IgnoreProxyOptions": false}
        """)
        let route = try #require(config.routes.last)
        #expect(route.name == "ProxyUrl" && route.pathPrefix == "/api/" && route.hosts.isEmpty)
        #expect(route.upstreams.map(\.description) == ["http://127.0.0.1:9000"])
        #expect(route.track && route.trackExclude?.pattern == ".*(login|css)" && route.forceJSON && route.cors && !route.passHost)
        #expect(config.unusedLegacyKeys.isEmpty)
        // An empty ProxyUrl (the upstream sample's) is no route at all.
        #expect(try decode(#"{"ProxyUrl": "", "ProxyUrlFilter": "x"}"#).routes.isEmpty)
        #expect(try decode(#"{"ProxyUrl": "http://a:1"}"#).routes.first?.track == false)
    }

    @Test func upstreamAddressesParseLikeURLs() {
        #expect(UpstreamAddress("http://a.b:8080")?.authority == "a.b:8080")
        #expect(UpstreamAddress("HTTPS://a.b")?.authority == "a.b")
        #expect(UpstreamAddress("http://[2001:db8::1]:81")?.host == "2001:db8::1")
        #expect(UpstreamAddress("http://[2001:db8::1]:81")?.authority == "[2001:db8::1]:81")
        #expect(UpstreamAddress("http://user:pw@a.b") == nil)
        #expect(UpstreamAddress("http://") == nil)
        #expect(UpstreamAddress("a.b:80") == nil)
    }
}
