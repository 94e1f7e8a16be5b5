import Dispatch
import Foundation
import Logging
import NIOHTTP1
import TrackerCore
import TrackerStorage
import TrackerTLS

/// The route table of the tracker (one place to read it) and the shared state routes need.
public final class TrackerApplication: HTTPResponder {
    let settings: HTTPSettings
    let parser: HitParser
    let pipeline: EventPipeline
    let ingest: IngestQueue
    /// Sinks fed from the spool, when the store is remote.
    let deliveries: [SpoolDelivery]
    public let limiter: ConcurrencyLimiter
    public let drops = DropCounters()
    let clientAddress: ClientAddress
    let cookie: VisitorCookie
    let files: StaticFileServer
    /// The root of `/pub/v1/` (upstream's `StaticDirectory`).
    let publicRoot: SiteRoot?
    /// Document roots served by host for paths no other route takes.
    let sites: [SiteRoot]
    /// Reverse-proxy routes, matched on each request's head.
    public let proxies: ProxyTable
    let started = Date()
    let logger: Logger
    /// ACME's HTTP-01 answers, when certificates are obtained automatically.
    let httpChallenges: HTTPChallengeResponses?
    /// The HTTPS certificates, shown by `/health`.
    let certificates: CertificateStore?
    /// More parts of `/status` and `/health` by name (the NATS connection...).
    let statusSections: [String: @Sendable () -> JSONValue]
    static func routePrefixes(apiVersion: Int) -> [(TrackRoute, String)] {
        TrackRoute.allCases.map { ($0, "/\($0.rawValue)/v\(apiVersion)") }
    }

    /// `/tr`, `/str`...: the routes nested under `/tr/v1/`, made once (they were made on every
    /// request, in the profile of each browser event).
    static let nestedSegments = TrackRoute.allCases.map { ($0, "/\($0.rawValue)") }
    /// `/tr/v1`, `/str/v1`...: built once, matched on every request.
    let routePrefixes: [(TrackRoute, String)]
    /// Short links and the links API; nil when the store keeps no links.
    public let shortLinks: ShortLinks?
    /// The browser tracker and the generator pages.
    let webAssets: WebAssetRoutes

    public init(settings: HTTPSettings, limits: HitLimits, pipeline: EventPipeline, ingest: IngestQueue,
                deliveries: [SpoolDelivery] = [],
                files: StaticFileServer, publicRoot: SiteRoot?, sites: [SiteRoot], proxies: ProxyTable = ProxyTable([]),
                httpChallenges: HTTPChallengeResponses? = nil, certificates: CertificateStore? = nil,
                statusSections: [String: @Sendable () -> JSONValue] = [:], shortLinks: ShortLinks? = nil,
                webAssets: WebAssetRoutes = WebAssetRoutes(), logger: Logger) {
        self.shortLinks = shortLinks
        self.webAssets = webAssets
        self.statusSections = statusSections
        self.httpChallenges = httpChallenges
        self.certificates = certificates
        self.proxies = proxies
        self.settings = settings
        self.parser = HitParser(limits: limits)
        self.pipeline = pipeline
        self.ingest = ingest
        self.deliveries = deliveries
        self.limiter = ConcurrencyLimiter(limit: settings.maximumConnections)
        self.clientAddress = ClientAddress(trustedProxies: settings.trustedProxies)
        self.cookie = VisitorCookie(maxAgeSeconds: settings.cookieMaxAgeSeconds, domain: settings.cookieDomain)
        self.files = files
        self.publicRoot = publicRoot
        self.sites = sites
        self.logger = logger
        self.routePrefixes = Self.routePrefixes(apiVersion: settings.apiVersion)
    }

    public func respond(to request: HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) {
        handle(request, .response(respond))
    }

    public func respondOnWire(to request: HTTPRequest, _ respond: @escaping @Sendable (WireAnswer) -> Void) {
        handle(request, .wire(respond))
    }

    func handle(_ request: HTTPRequest, _ replier: Replier) {
        let client = clientIP(request)
        // No limits configured: no clock read on the hot path.
        guard !settings.rateLimits.rules.isEmpty, let verdict = settings.rateLimits.check(path: request.path, clientAddress: client, headers: request.headers,
                                                      now: Self.uptime()) else {
            return route(request, client: client, limited: false, replier)
        }
        // The limit's headers go on every answer, so each becomes a response.
        let headers = verdict.headers
        let respond = replier.responding
        route(request, client: client, limited: !verdict.allowed, .response { response in
            var response = response
            response.headers.add(contentsOf: headers)
            respond(response)
        })
    }

    static func uptime() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    /// The route table. A rate-limited request to a tracking route still gets its answer (the
    /// pixel, the redirect, the file) but is not recorded; `/tr/`, `/str/` and the rest get a 429.
    func route(_ request: HTTPRequest, client: String?, limited: Bool, _ replier: Replier) {
        if let (route, tuplets) = trackRoute(request.path) {
            return track(route, tuplets: tuplets, request, client: client, limited: limited, replier)
        }
        if limited {
            drops.count(.rateLimited)
            return replier.send(withCORS(.error(.tooManyRequests, DropReason.rateLimited.message), request))
        }
        if request.path.hasPrefix("/rpi/"), let shortLinks {
            Task { replier.send(withCORS(await linkAPI(request, links: shortLinks), request)) }
            return
        }
        if let asset = webAssets.response(for: request) {
            return replier.send(asset)
        }
        switch request.path {
        case "/ping": return replier.send(withCORS(.text(.ok, "pong"), request))
        case "/status": return replier.send(withCORS(status(request), request))
        case "/health": return replier.send(withCORS(health(), request))
        case "/clear":
            var response = HTTPResponse.text(.ok, "OK")
            response.headers.add(name: "clear-site-data", value: "\"*\"")
            return replier.send(withCORS(response, request))
        default:
            if let challenges = httpChallenges, let answer = HTTPSRedirect.challengeAnswer(path: request.path, challenges) {
                return replier.send(answer)
            }
            if let shortLinks, request.method == .GET || request.method == .HEAD, request.path.count > 1,
               shortLinks.servesHost(request.host) {
                Task { await shortLinkOrSite(request, client: client, links: shortLinks, replier.responding) }
                return
            }
            serveSite(request, replier.responding)
        }
    }

    /// On a short-link host, a known slug redirects; anything else is the host's site (or a 404).
    /// With no short-link hosts configured, only hosts no site serves look links up (upstream).
    func shortLinkOrSite(_ request: HTTPRequest, client: String?, links: ShortLinks,
                         _ respond: @escaping @Sendable (HTTPResponse) -> Void) async {
        let host = request.host
        if links.hosts.isEmpty, sites.contains(where: { $0.matches(host) }) { return serveSite(request, respond) }
        guard case .success(let slug) = LinkRules.slug(PercentDecoding.decode(Substring(request.path), plusIsSpace: false)) else {
            return serveSite(request, respond)
        }
        do {
            guard let link = try await links.resolve(host: host, slug: slug) else { return serveSite(request, respond) }
            respond(await followShortLink(link, request, client: client))
        } catch {
            var response = HTTPResponse.error(.serviceUnavailable, "short links are unavailable: \(error)")
            response.headers.add(name: "retry-after", value: "5")
            respond(response)
        }
    }

    /// The tracking routes but `/pub/` (a file), and the server's own `/ping`, `/status`,
    /// `/health` and `/clear`: what clients and monitors send most, answered from memory, and
    /// taken before any proxy route. Also the browser tracker's script and the generator pages,
    /// from the binary, unless a proxy route takes their path. (A browser's first request to the
    /// tracker is often the script, and a load balancer's health check often opens a connection
    /// for each probe: handed from a lane to NIO, each paid for a second connection setup, and
    /// the browser's events then went through NIO.)
    public var hasInMemoryRoutes: Bool { true }

    public func answersInMemory(_ request: HTTPRequest) -> Bool {
        if let (route, _) = Self.trackRouteStart(request.path, prefixes: routePrefixes) { return route != .pub }
        if Self.ownPaths.contains(request.path) { return true }
        return webAssets.serves(request) && (proxies.isEmpty || proxies.match(host: request.host, path: request.path) == nil)
    }

    /// Both URL layouts reach the same routes: upstream's `/tr/v1/...`, `/str/v1/...`, `/img/v1/...`
    /// and its later `/tr/v1/tr/...`, `/tr/v1/str/...`, `/tr/v1/img/...`. Returns the route and the
    /// path after its prefix (where the tuplets are).
    func trackRoute(_ path: String) -> (TrackRoute, String)? {
        Self.trackRoute(path, prefixes: routePrefixes)
    }

    static func trackRoute(_ path: String, prefixes routePrefixes: [(TrackRoute, String)]) -> (TrackRoute, String)? {
        trackRouteStart(path, prefixes: routePrefixes).map { ($0.0, String(path[$0.1...])) }
    }

    /// The route and where its tuplets start (finding it makes no string: `answersInMemory` asks
    /// for every request, before the route table asks again).
    static func trackRouteStart(_ path: String, prefixes routePrefixes: [(TrackRoute, String)]) -> (TrackRoute, String.Index)? {
        // Compared as bytes: String's prefix test compares Unicode characters, and it showed in
        // the profile of every tracking request. A prefix is ASCII and must be followed by `/` or
        // nothing, so bytes decide as characters would.
        let bytes = path.utf8
        func after(_ prefix: String, from start: String.Index) -> String.Index? {
            var index = start
            for byte in prefix.utf8 {
                guard index != bytes.endIndex, bytes[index] == byte else { return nil }
                index = bytes.index(after: index)
            }
            return index == bytes.endIndex || bytes[index] == UInt8(ascii: "/") ? index : nil
        }
        for (route, prefix) in routePrefixes {
            guard let rest = after(prefix, from: bytes.startIndex) else { continue }
            if route == .tr {
                for (nested, segment) in Self.nestedSegments {
                    if let tuplets = after(segment, from: rest) { return (nested, tuplets) }
                }
            }
            return (route, rest)
        }
        return nil
    }

    /// A file of the site whose hosts match, for GET and HEAD; else 404 (405 for other methods).
    func serveSite(_ request: HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let host = request.host
        guard let site = sites.first(where: { $0.matches(host) }) else {
            return respond(.error(.notFound, "no route for \(request.path)"))
        }
        guard request.method == .GET || request.method == .HEAD else {
            var response = HTTPResponse.error(.methodNotAllowed, "files answer GET and HEAD")
            response.headers.add(name: "allow", value: "GET, HEAD")
            return respond(response)
        }
        files.respond(root: site.root, relativePath: request.path, request: request, options: site.options, respond)
    }

    /// The client's address: `X-Forwarded-For`, else the standard `Forwarded`, believed only from
    /// trusted proxies.
    func clientIP(_ request: HTTPRequest) -> String? {
        // Forwarding headers count only from trusted proxies: without any, they are not read.
        if clientAddress.trustedProxies.isEmpty { return clientAddress.resolve(peer: request.peerIP, forwardedFor: []) }
        let legacy = request.headers["x-forwarded-for"]
        let chain = legacy.isEmpty ? ClientAddress.forwardedFor(request.headers["forwarded"]) : legacy
        return clientAddress.resolve(peer: request.peerIP, forwardedFor: chain)
    }

    func withCORS(_ response: consuming HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        var response = response
        settings.cors.headers(origin: request.headers.first(name: "origin"), into: &response.headers)
        return response
    }

    func isHTTPS(_ request: HTTPRequest) -> Bool {
        if request.isTLS { return true }
        // No trusted proxies (the usual case): nothing to parse.
        guard !clientAddress.trustedProxies.isEmpty, let peer = request.peerIP, let bytes = ClientAddress.bytes(peer),
              clientAddress.trustedProxies.contains(where: { $0.contains(bytes) }) else { return false }
        return request.headers.first(name: "x-forwarded-proto")?.lowercased() == "https"
    }
}
