import NIOHTTP1
import TrackerConfig

/// How a request's head changes on its way to an upstream, and a response's on its way back: pure
/// functions of their inputs, so every rule has a unit test.
public enum ProxyHeaders {
    /// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// What is known of the client side of a request.
    public struct Client: Sendable {
        /// The address the request came from (the TCP peer).
        public var peer: String?
        /// Whether the peer is a trusted proxy, whose forwarding headers are kept and extended.
        public var peerTrusted: Bool
        /// The client as decided from trusted proxies only.
        public var address: String?
        /// "http" or "https", as the client spoke to us (or to our trusted proxy).
        public var proto: String
        public var host: String?

        public init(peer: String?, peerTrusted: Bool, address: String?, proto: String, host: String?) {
            self.peer = peer
            self.peerTrusted = peerTrusted
            self.address = address
            self.proto = proto
            self.host = host
        }
    }

    /// Whether the request asks to switch protocols (WebSocket), which needs `Connection: upgrade`.
    public static func upgradeProtocol(_ headers: HTTPHeaders) -> String? {
        guard let upgrade = headers.first(name: "upgrade"), !upgrade.isEmpty else { return nil }
        let connection = headers[canonicalForm: "connection"].map { $0.lowercased() }
        return connection.contains("upgrade") ? upgrade : nil
    }

    /// The path sent upstream: the route's prefix stripped and/or another added, query kept.
    public static func upstreamURI(_ uri: String, pathPrefix: String, stripPrefix: Bool, addPrefix: String) -> String {
        var rest = Substring(uri)
        let bare = pathPrefix.hasSuffix("/") ? String(pathPrefix.dropLast()) : pathPrefix
        if stripPrefix, !rest.hasPrefix(pathPrefix), rest == bare || rest.hasPrefix(bare + "?") {
            // `/api` under the prefix `/api/`.
            rest = "/" + rest.dropFirst(bare.count)
        } else if stripPrefix, rest.hasPrefix(pathPrefix) {
            rest = rest.dropFirst(pathPrefix.hasSuffix("/") ? pathPrefix.count - 1 : pathPrefix.count)
            if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
            else if rest.first != "/" { rest = "/" + rest }
        }
        return addPrefix + rest
    }

    public static func request(_ head: HTTPRequestHead, route: ProxyRouteConfiguration, upstream: UpstreamAddress,
                               client: Client) -> HTTPRequestHead {
        var headers = head.headers
        let upgrade = route.webSockets ? upgradeProtocol(headers) : nil
        let chunked = headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        removeHopByHop(&headers)
        if let upgrade {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        // The body was de-chunked on the way in; it is re-chunked on the way out.
        if chunked, !headers.contains(name: "content-length") { headers.add(name: "transfer-encoding", value: "chunked") }

        let originalHost = head.headers.first(name: "host") ?? client.host
        if !route.passHost { headers.replaceOrAdd(name: "host", value: upstream.authority) }
        else if originalHost == nil { headers.add(name: "host", value: upstream.authority) }

        let peer = client.peer ?? "unknown"
        let previous = client.peerTrusted ? headers["x-forwarded-for"].joined(separator: ", ") : ""
        headers.replaceOrAdd(name: "x-forwarded-for", value: previous.isEmpty ? peer : previous + ", " + peer)
        if !(client.peerTrusted && headers.contains(name: "x-forwarded-proto")) {
            headers.replaceOrAdd(name: "x-forwarded-proto", value: client.proto)
        }
        if let originalHost, !(client.peerTrusted && headers.contains(name: "x-forwarded-host")) {
            headers.replaceOrAdd(name: "x-forwarded-host", value: originalHost)
        }
        headers.replaceOrAdd(name: "x-real-ip", value: client.address ?? peer)
        var element = "for=\(forwardedNode(peer));proto=\(client.proto)"
        if let originalHost { element += ";host=\(quotedIfNeeded(originalHost))" }
        let earlier = client.peerTrusted ? headers["forwarded"].joined(separator: ", ") : ""
        headers.replaceOrAdd(name: "forwarded", value: earlier.isEmpty ? element : earlier + ", " + element)
        // Upstream's director set this; existing backends may read it.
        headers.replaceOrAdd(name: "x-origin-host", value: upstream.authority)
        if route.forceJSON { headers.replaceOrAdd(name: "content-type", value: "application/json") }
        apply(route.requestHeaders, to: &headers)

        let uri = upstreamURI(head.uri, pathPrefix: route.pathPrefix, stripPrefix: route.stripPrefix, addPrefix: route.addPrefix)
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: uri, headers: headers)
    }

    /// The upstream's answer as the client gets it; framing headers are set again by the encoder.
    public static func response(_ head: HTTPResponseHead, route: ProxyRouteConfiguration, version: HTTPVersion) -> HTTPResponseHead {
        var headers = head.headers
        if head.status == .switchingProtocols {
            return HTTPResponseHead(version: version, status: head.status, headers: headers)
        }
        removeHopByHop(&headers)
        apply(route.responseHeaders, to: &headers)
        return HTTPResponseHead(version: version, status: head.status, headers: headers)
    }

    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        // Headers the Connection header names are hop-by-hop too.
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        for name in hopByHop.union(named) { headers.remove(name: name) }
    }

    static func apply(_ rules: ProxyRouteConfiguration.HeaderRules, to headers: inout HTTPHeaders) {
        for name in rules.remove { headers.remove(name: name) }
        for (name, value) in rules.set { headers.replaceOrAdd(name: name, value: value) }
    }

    /// RFC 7239 §6: IPv6 addresses are bracketed and quoted.
    static func forwardedNode(_ address: String) -> String {
        address.contains(":") ? "\"[\(address)]\"" : address
    }

    static func quotedIfNeeded(_ value: String) -> String {
        value.allSatisfy { $0.isLetter || $0.isNumber || "-._~".contains($0) } ? value : "\"\(value)\""
    }
}
