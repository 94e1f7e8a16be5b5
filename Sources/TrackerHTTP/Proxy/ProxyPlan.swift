import NIOCore
import NIOHTTP1

/// What the application decides about a request as soon as its head is read: forward it (streaming
/// its body) or answer it here (a preflight, a rate limit, a body over the route's limit).
public enum ProxyDecision: Sendable {
    case forward(ProxyPlan)
    case answer(HTTPResponse)
}

public struct ProxyPlan: Sendable {
    public var route: ProxyRoute
    public var client: ProxyHeaders.Client
    /// Added to the upstream's answer (CORS, rate-limit headers).
    public var responseHeaders: HTTPHeaders
    /// For a new visitor on an HTML answer: the minted `vid` and its Set-Cookie value.
    public var visitorCookie: (@Sendable () -> (vid: String, header: String))?
    /// Called once the exchange ended, off the response's path (tracking).
    public var completed: (@Sendable (ProxyRecord) -> Void)?

    public init(route: ProxyRoute, client: ProxyHeaders.Client, responseHeaders: HTTPHeaders = [:],
                visitorCookie: (@Sendable () -> (vid: String, header: String))? = nil,
                completed: (@Sendable (ProxyRecord) -> Void)? = nil) {
        self.route = route
        self.client = client
        self.responseHeaders = responseHeaders
        self.visitorCookie = visitorCookie
        self.completed = completed
    }
}

/// One finished exchange, as tracking and logs see it.
public struct ProxyRecord: Sendable {
    public var request: HTTPRequestHead
    /// 0 when no answer came (the client left, the upstream failed mid-way).
    public var status: Int
    public var milliseconds: Double
    public var bytesIn: Int
    public var bytesOut: Int
    public var upstream: String?
    /// The `vid` minted for this answer's cookie, if any.
    public var mintedVisitor: String?
}
