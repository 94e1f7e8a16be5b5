import NIOCore
import TrackerCore
import NIOHTTP1

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
    public static func hostName(_ header: String?) -> String {
        guard let raw = header else { return "" }
        let bytes = raw.utf8
        if bytes.first == UInt8(ascii: "["), let end = bytes.firstIndex(of: UInt8(ascii: "]")) {
            return ASCII.lowercased(String(raw[bytes.index(after: bytes.startIndex)..<end]))
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return ASCII.lowercased(raw) }
        return ASCII.lowercased(String(raw[..<colon]))
    }

    /// A request target's path and query (without its `?`), found on the bytes: Character-wise
    /// search showed in the proxy's profile.
    public static func split(_ uri: String) -> (path: String, query: String?) {
        let bytes = uri.utf8
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[bytes.index(after: mark)...]))
    }

    /// Cookies by name, the first of each name winning; split on the bytes.
    public var cookies: [String: String] {
        var result: [String: String] = [:]
        for header in headers["cookie"] {
            for part in header.utf8.split(separator: UInt8(ascii: ";")) {
                guard let eq = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = ASCII.trimmed(String(decoding: part[..<eq], as: UTF8.self))
                var value = ASCII.trimmed(String(decoding: part[part.index(after: eq)...], as: UTF8.self))
                if value.utf8.count >= 2, value.utf8.first == UInt8(ascii: "\""), value.utf8.last == UInt8(ascii: "\"") {
                    value = String(value.dropFirst().dropLast())
                }
                if result[name] == nil { result[name] = value }
            }
        }
        return result
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
    /// Decided from the head alone: nil for requests read whole and given to `respond`.
    func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision?
}

extension HTTPResponder {
    public func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision? { nil }
}

/// What a connection's handler knows of the listener it came through.
struct ListenerFacts: Sendable {
    /// TLS-terminated here.
    var secure = false
    /// The Strict-Transport-Security value added to every answer on this listener.
    var hsts: String?
}
