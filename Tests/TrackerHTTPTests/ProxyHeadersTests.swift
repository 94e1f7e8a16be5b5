import NIOCore
import NIOHTTP1
import Testing
import TrackerConfig
import TrackerCore
@testable import TrackerHTTP

@Suite struct ProxyHeadersTests {
    let upstream = UpstreamAddress("http://10.0.0.5:3000")!

    func route(_ change: (inout ProxyRouteConfiguration) -> Void = { _ in }) -> ProxyRouteConfiguration {
        var route = ProxyRouteConfiguration(name: "api", upstreams: [upstream])
        route.pathPrefix = "/api/"
        change(&route)
        return route
    }

    let untrusted = ProxyHeaders.Client(peer: "203.0.113.9", peerTrusted: false, address: "203.0.113.9", proto: "http", host: nil)

    @Test func hopByHopHeadersAndTheOnesConnectionNamesAreDropped() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/x", headers: [
            "Host": "shop.example.com", "Connection": "keep-alive, X-Private", "X-Private": "1", "Keep-Alive": "timeout=5",
            "TE": "trailers", "Proxy-Authorization": "Basic x", "Accept": "*/*",
        ])
        let out = ProxyHeaders.request(head, route: route(), upstream: upstream, client: untrusted).headers
        for name in ["connection", "x-private", "keep-alive", "te", "proxy-authorization"] { #expect(!out.contains(name: name)) }
        #expect(out["accept"] == ["*/*"] && out["host"] == ["shop.example.com"])
    }

    @Test func forwardingHeadersAreReplacedForStrangersAndExtendedForTrustedProxies() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/x", headers: [
            "Host": "shop.example.com", "X-Forwarded-For": "1.2.3.4", "Forwarded": "for=1.2.3.4", "X-Forwarded-Proto": "https",
        ])
        let stranger = ProxyHeaders.request(head, route: route(), upstream: upstream, client: untrusted).headers
        #expect(stranger["x-forwarded-for"] == ["203.0.113.9"] && stranger["x-forwarded-proto"] == ["http"])
        #expect(stranger["forwarded"] == ["for=203.0.113.9;proto=http;host=shop.example.com"])
        #expect(stranger["x-real-ip"] == ["203.0.113.9"] && stranger["x-origin-host"] == ["10.0.0.5:3000"])

        let proxy = ProxyHeaders.Client(peer: "10.0.0.1", peerTrusted: true, address: "1.2.3.4", proto: "https", host: nil)
        let trusted = ProxyHeaders.request(head, route: route(), upstream: upstream, client: proxy).headers
        #expect(trusted["x-forwarded-for"] == ["1.2.3.4, 10.0.0.1"] && trusted["x-forwarded-proto"] == ["https"])
        #expect(trusted["forwarded"] == ["for=1.2.3.4, for=10.0.0.1;proto=https;host=shop.example.com"])
        #expect(trusted["x-real-ip"] == ["1.2.3.4"])

        let v6 = ProxyHeaders.Client(peer: "2001:db8::1", peerTrusted: false, address: nil, proto: "http", host: nil)
        #expect(ProxyHeaders.request(head, route: route(), upstream: upstream, client: v6).headers["forwarded"]
            == ["for=\"[2001:db8::1]\";proto=http;host=shop.example.com"])
    }

    @Test func theHostIsPassedOrReplacedAndChunkedBodiesStayChunked() {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/x", headers: [
            "Host": "shop.example.com", "Transfer-Encoding": "chunked", "Content-Type": "text/plain",
        ])
        let passed = ProxyHeaders.request(head, route: route(), upstream: upstream, client: untrusted)
        #expect(passed.headers["host"] == ["shop.example.com"] && passed.headers["transfer-encoding"] == ["chunked"])
        let replaced = ProxyHeaders.request(head, route: route { $0.passHost = false; $0.forceJSON = true }, upstream: upstream, client: untrusted)
        #expect(replaced.headers["host"] == ["10.0.0.5:3000"] && replaced.headers["x-forwarded-host"] == ["shop.example.com"])
        #expect(replaced.headers["content-type"] == ["application/json"])
    }

    /// The bytes sent upstream are the head `request` describes, written out; framing as NIO's
    /// encoder set it before the bytes path replaced it.
    @Test func theBytesSentUpstreamAreTheRequestHeadWrittenOut() {
        let cases: [(HTTPRequestHead, ProxyRouteConfiguration, Bool)] = [
            (HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/items?x=1", headers: ["Host": "a.example", "Accept": "*/*"]), route(), false),
            (HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/x", headers: ["Host": "a", "Transfer-Encoding": "chunked"]), route(), true),
            (HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/x", headers: ["Host": "a", "Content-Length": "3"]), route(), false),
            // An HTTP/2 request's length may be unsaid: a POST goes chunked, a GET without a body not.
            (HTTPRequestHead(version: .init(major: 2, minor: 0), method: .POST, uri: "/api/x", headers: ["Host": "a"]), route(), true),
            (HTTPRequestHead(version: .http1_1, method: .TRACE, uri: "/api/x", headers: ["Host": "a", "Content-Length": "3"]), route(), false),
            (HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/users", headers: ["Host": "a", "X-Drop": "1"]),
             route { $0.stripPrefix = true; $0.requestHeaders.set = [("X-Added", "yes")]; $0.requestHeaders.remove = ["x-drop"] }, false),
        ]
        for (head, route, chunked) in cases {
            let expected = ProxyHeaders.request(head, route: route, upstream: upstream, client: untrusted)
            let (bytes, isChunked) = ProxyHeaders.requestBytes(head, route: route, upstream: upstream, client: untrusted, allocator: .init())
            var text = "\(expected.method.rawValue) \(expected.uri) HTTP/1.1\r\n"
            for (name, value) in expected.headers { text += "\(name): \(value)\r\n" }
            #expect(String(buffer: bytes) == text + "\r\n")
            #expect(isChunked == chunked && expected.headers.contains(name: "transfer-encoding") == chunked)
        }
        let trace = ProxyHeaders.request(cases[4].0, route: route(), upstream: upstream, client: untrusted)
        #expect(!trace.headers.contains(name: "content-length"))
    }

    @Test func answersWithHeadersThatWouldSplitThemAreRefused() {
        #expect(HeaderValidation.isValid(("location", "https://a.example/?q=\"x\"\t")))
        #expect(!HeaderValidation.isValid(("location", "https://a.example/\r\nset-cookie: x=1")))
        #expect(!HeaderValidation.isValid(("x-value", "a\u{0}b")))
        #expect(!HeaderValidation.isValid(("bad name", "v")) && !HeaderValidation.isValid(("", "v")))
    }

    @Test func webSocketUpgradesKeepTheirHeadersUnlessTheRouteRefuses() {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/ws", headers: [
            "Host": "a", "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "k",
        ])
        let out = ProxyHeaders.request(head, route: route(), upstream: upstream, client: untrusted).headers
        #expect(out["connection"] == ["upgrade"] && out["upgrade"] == ["websocket"] && out["sec-websocket-key"] == ["k"])
        let refused = ProxyHeaders.request(head, route: route { $0.webSockets = false }, upstream: upstream, client: untrusted).headers
        #expect(!refused.contains(name: "upgrade") && !refused.contains(name: "connection"))
    }

    @Test func prefixesAreStrippedAndAdded() {
        #expect(ProxyHeaders.upstreamURI("/api/users?x=1", pathPrefix: "/api/", stripPrefix: true, addPrefix: "") == "/users?x=1")
        #expect(ProxyHeaders.upstreamURI("/api", pathPrefix: "/api/", stripPrefix: true, addPrefix: "") == "/")
        #expect(ProxyHeaders.upstreamURI("/api?x=1", pathPrefix: "/api/", stripPrefix: true, addPrefix: "/v2") == "/v2/?x=1")
        #expect(ProxyHeaders.upstreamURI("/apiary", pathPrefix: "/api", stripPrefix: true, addPrefix: "") == "/ary")
        #expect(ProxyHeaders.upstreamURI("/api/users", pathPrefix: "/api/", stripPrefix: false, addPrefix: "/v2") == "/v2/api/users")
    }

    @Test func responsesLoseHopByHopHeadersAndGainTheRouteRules() {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: [
            "Connection": "keep-alive", "Keep-Alive": "timeout=5", "Transfer-Encoding": "chunked", "Server": "backend", "ETag": "\"1\"",
        ])
        let out = ProxyHeaders.response(head, route: route { $0.responseHeaders.remove = ["Server"]; $0.responseHeaders.set = [(name: "X-A", value: "b")] },
                                        version: .http1_0).headers
        #expect(out.map(\.name).sorted() == ["ETag", "X-A"])
    }
}

@Suite struct ProxyTableTests {
    func route(_ name: String, hosts: [String], prefix: String) throws -> ProxyRoute {
        var configuration = ProxyRouteConfiguration(name: name, upstreams: [UpstreamAddress("http://127.0.0.1:1")!])
        configuration.hosts = hosts
        configuration.pathPrefix = prefix
        return try ProxyRoute(configuration)
    }

    @Test func exactHostsBeatWildcardsBeatAnyHostThenLongerPrefixesWin() throws {
        let table = ProxyTable([
            try route("any", hosts: [], prefix: "/"),
            try route("anyAPI", hosts: [], prefix: "/api/"),
            try route("wild", hosts: ["*.example.com"], prefix: "/"),
            try route("deeper-wild", hosts: ["*.eu.example.com"], prefix: "/"),
            try route("exact", hosts: ["shop.example.com"], prefix: "/"),
            try route("exactAPI", hosts: ["shop.example.com"], prefix: "/api/"),
        ])
        func match(_ host: String, _ path: String) -> String? { table.match(host: host, path: path)?.name }
        #expect(match("shop.example.com", "/api/x") == "exactAPI")
        #expect(match("shop.example.com", "/api") == "exactAPI")
        #expect(match("shop.example.com", "/x") == "exact")
        #expect(match("www.example.com", "/api/x") == "wild")
        #expect(match("a.eu.example.com", "/x") == "deeper-wild")
        #expect(match("example.com", "/api/x") == "anyAPI")
        #expect(match("other.net", "/x") == "any")
        #expect(ProxyTable([try route("api", hosts: [], prefix: "/api/")]).match(host: "a", path: "/apix") == nil)
    }

    @Test func ejectedUpstreamsAreSkippedUntilTheirTimeEnds() throws {
        var configuration = ProxyRouteConfiguration(name: "pool", upstreams: ["http://a:1", "http://b:1"].map { UpstreamAddress($0)! })
        configuration.maxFails = 2
        configuration.failTimeoutSeconds = 10
        let route = try ProxyRoute(configuration)
        let (a, b) = (route.upstreams[0], route.upstreams[1])
        a.recordFailure(now: 100)
        #expect(a.isAvailable(now: 100))
        a.recordFailure(now: 100)
        #expect(!a.isAvailable(now: 105) && a.isAvailable(now: 110.5))
        for _ in 0..<4 { #expect(route.pick(excluding: [], now: 105) === b) }
        // Every server out: the one back soonest is still tried rather than none.
        b.recordFailure(now: 101); b.recordFailure(now: 101)
        #expect(route.pick(excluding: [], now: 105) === a)
        // A success clears the count; an active check that fails keeps a server out.
        a.recordSuccess()
        b.setActiveHealth(up: false)
        for _ in 0..<4 { #expect(route.pick(excluding: [], now: 105) === a) }
        #expect(route.pick(excluding: [a], now: 105) == nil)
    }
}
