import NIOCore
import NIOHTTP1
import TrackerConfig
import TrackerCore

/// How a request's head changes on its way to an upstream, and a response's on its way back: pure
/// functions of their inputs, so every rule has a unit test.
public enum ProxyHeaders {
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
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 8)
        requestHeaders(head, route: route, upstream: upstream, client: client, into: &headers)
        if !route.requestHeaders.set.isEmpty || !route.requestHeaders.remove.isEmpty { apply(route.requestHeaders, to: &headers) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: upstreamURI(head, route: route), headers: headers)
    }

    /// The same request head as bytes ready for the upstream's socket, and whether its body goes
    /// chunked. Written straight from the client's headers: no header list is built and encoded
    /// again (that was an eighth of a proxied request's user time), unless the route edits headers.
    static func requestBytes(_ head: HTTPRequestHead, route: ProxyRouteConfiguration, upstream: UpstreamAddress,
                             client: Client, allocator: ByteBufferAllocator) -> (head: ByteBuffer, chunked: Bool) {
        var writer = HeadWriter(buffer: allocator.buffer(capacity: 512))
        writer.buffer.writeString(head.method.rawValue)
        writer.buffer.writeStaticString(" ")
        writer.buffer.writeString(upstreamURI(head, route: route))
        writer.buffer.writeStaticString(" HTTP/1.1\r\n")
        let chunked: Bool
        if !route.requestHeaders.set.isEmpty || !route.requestHeaders.remove.isEmpty {
            var headers = HTTPHeaders()
            chunked = requestHeaders(head, route: route, upstream: upstream, client: client, into: &headers)
            apply(route.requestHeaders, to: &headers)
            for (name, value) in headers { writer.add(name: name, value: value) }
        } else {
            chunked = requestHeaders(head, route: route, upstream: upstream, client: client, into: &writer)
        }
        writer.buffer.writeStaticString("\r\n")
        return (writer.buffer, chunked)
    }

    static func upstreamURI(_ head: HTTPRequestHead, route: ProxyRouteConfiguration) -> String {
        route.stripPrefix || !route.addPrefix.isEmpty
            ? upstreamURI(head.uri, pathPrefix: route.pathPrefix, stripPrefix: route.stripPrefix, addPrefix: route.addPrefix)
            : head.uri
    }

    /// The headers sent upstream, before the route's own header rules. Framing as NIO's encoder
    /// would set it: a length is kept; without one a body that was chunked, or may come with a
    /// POST, PUT or PATCH (an HTTP/2 request's length is often unsaid), goes chunked; TRACE has none.
    @discardableResult
    static func requestHeaders<Sink: HeaderSink>(_ head: HTTPRequestHead, route: ProxyRouteConfiguration, upstream: UpstreamAddress,
                                                 client: Client, into headers: inout Sink) -> Bool {
        let incoming = head.headers
        let named = connectionNamed(incoming)
        // One pass: hop-by-hop headers and our own out, what a trusted proxy said before us kept.
        var upgrade: String?, chunked = false, hasLength = false, originalHost: String?
        var previousFor: [String] = [], previousForwarded: [String] = [], previousProto: String?, previousHost: String?
        let bodiless = head.method == .TRACE
        for (name, value) in incoming {
            let kind = HeaderName(name)
            switch kind {
            case .host:
                originalHost = originalHost ?? value
                if !route.passHost { continue }
            case .contentLength:
                if bodiless { continue }
                hasLength = true
            case .transferEncoding: chunked = chunked || ASCII.lowercased(value).hasSuffix("chunked")
            case .upgrade: upgrade = value
            case .contentType: if route.forceJSON { continue }
            case .forwardedFor: if client.peerTrusted { previousFor.append(value) }
            case .forwarded: if client.peerTrusted { previousForwarded.append(value) }
            case .forwardedProto: if client.peerTrusted { previousProto = value }
            case .forwardedHost: if client.peerTrusted { previousHost = value }
            default: break
            }
            if kind.isHopByHop || kind.isOwn { continue }
            if !named.isEmpty, kind == .other, named.contains(where: { ASCII.equalsIgnoringCase(name, lowercase: $0) }) { continue }
            headers.add(name: name, value: value)
        }
        if route.webSockets, let upgrade, named.contains("upgrade") {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        // The body was de-chunked on the way in; it is re-chunked on the way out.
        let chunkedOut = !hasLength && !bodiless && (chunked || [.POST, .PUT, .PATCH].contains(head.method))
        if chunkedOut { headers.add(name: "transfer-encoding", value: "chunked") }
        originalHost = originalHost ?? client.host
        if !route.passHost || originalHost == nil { headers.add(name: "host", value: upstream.authority) }

        let peer = client.peer ?? "unknown"
        headers.add(name: "x-forwarded-for", value: previousFor.isEmpty ? peer : previousFor.joined(separator: ", ") + ", " + peer)
        headers.add(name: "x-forwarded-proto", value: previousProto ?? client.proto)
        if let host = previousHost ?? originalHost { headers.add(name: "x-forwarded-host", value: host) }
        headers.add(name: "x-real-ip", value: client.address ?? peer)
        var element = "for=" + forwardedNode(peer) + ";proto=" + client.proto
        if let originalHost { element += ";host=" + quotedIfNeeded(originalHost) }
        headers.add(name: "forwarded", value: previousForwarded.isEmpty ? element : previousForwarded.joined(separator: ", ") + ", " + element)
        // Upstream's director set this; existing backends may read it.
        headers.add(name: "x-origin-host", value: upstream.authority)
        if route.forceJSON { headers.add(name: "content-type", value: "application/json") }
        return chunkedOut
    }

    /// The upstream's answer as the client gets it; framing headers are set again by the encoder.
    public static func response(_ head: HTTPResponseHead, route: ProxyRouteConfiguration, version: HTTPVersion) -> HTTPResponseHead {
        if head.status == .switchingProtocols {
            return HTTPResponseHead(version: version, status: head.status, headers: head.headers)
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + route.responseHeaders.set.count)
        responseHeaders(head.headers, into: &headers)
        if !route.responseHeaders.set.isEmpty || !route.responseHeaders.remove.isEmpty { apply(route.responseHeaders, to: &headers) }
        return HTTPResponseHead(version: version, status: head.status, headers: headers)
    }

    /// The upstream's headers that pass to the client: all but the hop-by-hop ones.
    static func responseHeaders<Sink: HeaderSink>(_ incoming: HTTPHeaders, into headers: inout Sink) {
        let named = connectionNamed(incoming)
        for (name, value) in incoming {
            let kind = HeaderName(name)
            if kind.isHopByHop { continue }
            if !named.isEmpty, kind == .other, named.contains(where: { ASCII.equalsIgnoringCase(name, lowercase: $0) }) { continue }
            headers.add(name: name, value: value)
        }
    }

    /// Header names listed in Connection (hop-by-hop too), lower-cased; usually none or `upgrade`.
    /// Nearly every answer says `Connection: keep-alive` or `close`: those are recognised on the
    /// bytes, and only other tokens become strings.
    static func connectionNamed(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for (name, value) in headers where HeaderName(name) == .connection {
            if ASCII.equalsIgnoringCase(value, lowercase: "keep-alive") || ASCII.equalsIgnoringCase(value, lowercase: "close") { continue }
            for token in value.utf8.split(separator: UInt8(ascii: ",")) {
                let trimmed = ASCII.lowercased(ASCII.trimmed(String(decoding: token, as: UTF8.self)))
                if trimmed != "keep-alive", trimmed != "close", !trimmed.isEmpty { names.append(trimmed) }
            }
        }
        return names
    }

    static func apply(_ rules: ProxyRouteConfiguration.HeaderRules, to headers: inout HTTPHeaders) {
        for name in rules.remove { headers.remove(name: name) }
        for (name, value) in rules.set { headers.replaceOrAdd(name: name, value: value) }
    }

    /// RFC 7239 §6: IPv6 addresses are bracketed and quoted.
    static func forwardedNode(_ address: String) -> String {
        address.utf8.contains(UInt8(ascii: ":")) ? "\"[" + address + "]\"" : address
    }

    /// A token stays bare; anything else (a port's colon) is quoted.
    static func quotedIfNeeded(_ value: String) -> String {
        let bare = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
        }
        return bare ? value : "\"" + value + "\""
    }
}
