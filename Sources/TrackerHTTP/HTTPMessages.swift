import NIOCore
import TrackerCore
import NIOHTTP1
import TrackerStorage

/// A fully read request, as the route handlers see it.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var path: String
    public var query: String?
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The TCP peer's address.
    public var peerIP: String?
    /// Whether the request came over TLS to this server (not what a proxy in front says).
    public var isTLS: Bool
    /// Where work that finishes this request on another thread hands its result back: the
    /// connection's event loop (nil outside a server, as in tests of the routes).
    public var completionExecutor: (any CompletionExecutor)?

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: [UInt8] = [], peerIP: String? = nil,
                isTLS: Bool = false) {
        self.isTLS = isTLS
        self.method = method
        self.uri = uri
        (path, query) = Self.split(uri)
        self.headers = headers
        self.body = body
        self.peerIP = peerIP
    }

    /// The Host header without its port, lower-cased.
    public var host: String { Self.hostName(headers.first(name: "host")) }

    /// A Host header's name without its port, lower-cased (IPv6 without brackets).
    /// The name is found on the header's own bytes (it is taken for every tracking request).
    public static func hostName(_ header: String?) -> String {
        guard var raw = header else { return "" }
        let name = raw.withUTF8 { bytes -> String? in
            var range = bytes.firstIndex(of: UInt8(ascii: ":")).map { 0..<$0 }
            if bytes.first == UInt8(ascii: "["), let end = bytes.firstIndex(of: UInt8(ascii: "]")) { range = 1..<end }
            return range.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
        }
        return ASCII.lowercased(name ?? raw)
    }

    /// A request target's path and query (without its `?`), found on the bytes: Character-wise
    /// search showed in the proxy's profile.
    public static func split(_ uri: String) -> (path: String, query: String?) {
        let bytes = uri.utf8
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[bytes.index(after: mark)...]))
    }

    /// Cookies by name, the first of each name winning: `name=value` pairs split on `;`, both
    /// trimmed, a quoted value unquoted. One pass over each header's bytes, two strings per
    /// cookie (splitting into slices, then strings, then trimmed strings showed in the profile of
    /// every browser event).
    public var cookies: [String: String] { cookies(named: nil) }

    /// Only the cookies of these names: a site's own cookies (sessions, consent tools, analytics)
    /// come along on every tracking request, and making strings of them all showed in its profile.
    public func cookies(named wanted: [String]?) -> [String: String] {
        var result: [String: String] = [:]
        if let wanted { result.reserveCapacity(wanted.count) }
        for (name, value) in headers where ASCII.equalsIgnoringCase(name, lowercase: "cookie") {
            Self.addCookies(of: value, named: wanted, to: &result)
        }
        return result
    }

    /// The cookies of one `Cookie` header, those of names already in `result` left as they are.
    static func addCookies(of header: String, named wanted: [String]?, to result: inout [String: String]) {
        forEachCookie(of: header) { name, value in
            if let wanted, !wanted.contains(where: { $0.utf8.elementsEqual(name) }) { return }
            let name = String(decoding: name, as: UTF8.self)
            if result[name] == nil { result[name] = String(decoding: value(), as: UTF8.self) }
        }
    }

    /// Each `name=value` pair of one `Cookie` header, split on `;`, both trimmed, a quoted value
    /// unquoted; the value's bytes are found only when asked for.
    static func forEachCookie(of header: String,
                              _ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: () -> UnsafeBufferPointer<UInt8>) -> Void) {
        var header = header
        header.withUTF8 { bytes in
            ASCII.forEachPart(of: bytes, separator: UInt8(ascii: ";")) { part, equals in
                guard let equals else { return }
                let name = UnsafeBufferPointer(rebasing: bytes[ASCII.trimmed(part.lowerBound..<equals, in: bytes)])
                body(name) {
                    var value = ASCII.trimmed((equals + 1)..<part.upperBound, in: bytes)
                    if value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\""), bytes[value.upperBound - 1] == UInt8(ascii: "\"") {
                        value = (value.lowerBound + 1)..<(value.upperBound - 1)
                    }
                    return UnsafeBufferPointer(rebasing: bytes[value])
                }
            }
        }
    }
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When set, the body is this part of a file (sent with `sendfile`) instead of `body`.
    public var file: FileBody?

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ status: HTTPResponseStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    public static func json(_ status: HTTPResponseStatus, _ json: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(json.utf8))
    }

    /// The one shape of every JSON error: `{"error": "..."}`.
    public static func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPResponse {
        var out = "{\"error\":"
        JSONWriter.quote(message, into: &out)
        out += "}"
        return json(status, out)
    }
}

/// Answers one request; `respond` may be called on any thread, exactly once.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void)
    /// The same, for a connection that writes HTTP/1 bytes itself: the answer may come as its
    /// parts (`TrackingAnswer`) instead of a response.
    func respondOnWire(to request: HTTPRequest, _ respond: @escaping @Sendable (WireAnswer) -> Void)
    /// Decided from the head alone: nil for requests read whole and given to `respond`.
    func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision?
    /// Whether the answer to this plain HTTP/1 request is made in memory (no file, no proxying,
    /// no upgrade), so that a `DirectLane` may serve it instead of handing its connection to NIO.
    func answersInMemory(_ request: HTTPRequest) -> Bool
    /// Whether `answersInMemory` is ever true: a listener whose responder has no such routes
    /// (the redirect to HTTPS) is served by NIO alone, without a handoff per connection.
    var hasInMemoryRoutes: Bool { get }
}

extension HTTPResponder {
    public func respondOnWire(to request: HTTPRequest, _ respond: @escaping @Sendable (WireAnswer) -> Void) {
        self.respond(to: request) { respond(.response($0)) }
    }
    public func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision? { nil }
    public func answersInMemory(_ request: HTTPRequest) -> Bool { false }
    public var hasInMemoryRoutes: Bool { false }
}

/// What a connection's handler knows of the listener it came through.
struct ListenerFacts: Sendable {
    /// TLS-terminated here.
    var secure = false
    /// The Strict-Transport-Security value added to every answer on this listener.
    var hsts: String?
}
