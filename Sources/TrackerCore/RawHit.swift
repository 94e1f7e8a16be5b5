/// The tracking routes; the route decides whether an event is a client or a server event.
public enum TrackRoute: String, Sendable, CaseIterable {
    case tr, str, img, rdr, pub

    public var isServer: Bool { self == .str }
}

/// Everything a tracking request carries, before any interpretation. Built by the HTTP layer, read
/// by `HitParser`; holding no NIO types keeps the parsing testable without a server.
public struct RawHit: Sendable {
    public var route: TrackRoute
    public var method: String
    /// The request path without the query, still percent-encoded.
    public var path: String
    /// The part of the path after the route prefix, where upstream's `key/value` tuplets live.
    public var tuplets: String
    public var query: String?
    public var body: [UInt8]
    public var contentType: String?
    public var cookies: HitCookies
    /// The `User` header: a JSON object merged into the event (upstream §3).
    public var userHeader: String?
    public var userAgent: String?
    public var acceptLanguage: String?
    public var origin: String?
    /// The Host header without its port, lower-cased.
    public var requestHost: String
    /// The client address, already decided from trusted proxies only.
    public var clientIP: String?
    public var isHTTPS: Bool
    /// The browser asked not to be tracked (`DNT: 1` or `Sec-GPC: 1`) and the operator honours it:
    /// the visitor is counted without identity (see `PipelineSteps.identity`).
    public var privacySignal: Bool

    public init(route: TrackRoute, method: String = "GET", path: String, tuplets: String? = nil, query: String? = nil,
                body: [UInt8] = [], contentType: String? = nil, cookies: HitCookies = HitCookies(),
                userHeader: String? = nil, userAgent: String? = nil, acceptLanguage: String? = nil,
                origin: String? = nil, requestHost: String = "localhost", clientIP: String? = nil,
                isHTTPS: Bool = false, privacySignal: Bool = false) {
        self.privacySignal = privacySignal
        self.route = route
        self.method = method
        self.path = path
        self.tuplets = tuplets ?? ""
        self.query = query
        self.body = body
        self.contentType = contentType
        self.cookies = cookies
        self.userHeader = userHeader
        self.userAgent = userAgent
        self.acceptLanguage = acceptLanguage
        self.origin = origin
        self.requestHost = requestHost
        self.clientIP = clientIP
        self.isHTTPS = isHTTPS
    }
}
