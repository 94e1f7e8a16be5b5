import Foundation
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// Requests for the reverse proxy: decided from the head (tracking and status routes first, then
/// the proxy routes; what matches nothing goes on to the sites), then tracked after the answer,
/// off its path, when the route says so.
extension TrackerApplication {
    public func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision? {
        guard !proxies.isEmpty else { return nil }
        let path = HTTPRequest.split(head.uri).path
        guard trackRoute(path) == nil, !Self.ownPaths.contains(path) else { return nil }
        let hostHeader = head.headers.first(name: "host")
        guard let route = proxies.match(host: HTTPRequest.hostName(hostHeader), path: path) else { return nil }
        let configuration = route.configuration
        if configuration.cors, head.method == .OPTIONS {
            return .answer(settings.cors.preflight(origin: head.headers.first(name: "origin")))
        }
        // Forwarding headers are believed from trusted proxies only, and parsed only then.
        let peerTrusted = !clientAddress.trustedProxies.isEmpty && (peerIP.flatMap(ClientAddress.bytes).map { bytes in
            clientAddress.trustedProxies.contains { $0.contains(bytes) }
        } ?? false)
        // Made only when a rule needs it: most proxied requests never do.
        func request() -> HTTPRequest { HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, peerIP: peerIP, isTLS: secure) }
        let client = peerTrusted ? clientIP(request()) : peerIP
        var extra: HTTPHeaders = [:]
        if !settings.rateLimits.rules.isEmpty,
           let verdict = settings.rateLimits.check(path: path, clientAddress: client, headers: head.headers, now: Self.uptime()) {
            guard verdict.allowed else {
                drops.count(.rateLimited)
                var response = HTTPResponse.error(.tooManyRequests, DropReason.rateLimited.message)
                response.headers.add(contentsOf: verdict.headers)
                return .answer(withCORS(response, request()))
            }
            extra.add(contentsOf: verdict.headers)
        }
        if let quota = settings.dailyQuota {
            switch quota.check(client ?? "-", now: Date().timeIntervalSince1970) {
            case .allowed: break
            case .exceeded(let wait), .unavailable(let wait):
                drops.count(.rateLimited)
                var response = HTTPResponse.text(.tooManyRequests, "API Limit Reached")
                response.headers.add(name: "retry-after", value: String(wait))
                return .answer(withCORS(response, request()))
            }
        }
        if let limit = configuration.maxBodyBytes, let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit {
            var response = HTTPResponse.error(.payloadTooLarge, "the body is larger than \(limit) bytes")
            response.headers.add(name: "connection", value: "close")
            return .answer(response)
        }
        if configuration.cors { settings.cors.headers(origin: head.headers.first(name: "origin"), into: &extra) }
        let https = secure || peerTrusted && head.headers.first(name: "x-forwarded-proto").map(ASCII.lowercased) == "https"
        var plan = ProxyPlan(
            route: route,
            client: ProxyHeaders.Client(peer: peerIP, peerTrusted: peerTrusted, address: client, proto: https ? "https" : "http",
                                        host: hostHeader),
            responseHeaders: extra)
        if configuration.setVisitorCookie, request().cookies["vid"] == nil {
            let host = HTTPRequest.hostName(hostHeader)
            plan.visitorCookie = { [pipeline, cookie] in
                let vid = pipeline.mintID()
                return (vid, cookie.header(vid: vid, requestHost: host, secure: https))
            }
        }
        if configuration.track, !Self.excluded(path, by: configuration.trackExclude) {
            let tracked = request()
            plan.completed = { [self] record in trackProxied(record, route: route, request: tracked, client: client, https: https) }
        }
        return .forward(plan)
    }

    /// The server's own routes, answered before any proxy route (and on a direct lane).
    static let ownPaths: Set<String> = ["/ping", "/status", "/health", "/clear"]

    static func excluded(_ path: String, by filter: NSRegularExpression?) -> Bool {
        guard let filter else { return false }
        return filter.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
    }

    /// The API call as an event (`etyp` "api", `ename` the route): method, path, status, latency,
    /// bytes and upstream in params; the visitor from the `vid` cookie, or the one just minted.
    func trackProxied(_ record: ProxyRecord, route: ProxyRoute, request: HTTPRequest, client: String?, https: Bool) {
        var values: HitValues = [
            "etyp": .string("api"), "ename": .string(route.name), "method": .string(request.method.rawValue),
            "path": .string(request.path), "url": .string("\(https ? "https" : "http")://\(request.headers.first(name: "host") ?? "")\(request.uri)"),
            "status": .number(Double(record.status)), "ms": .number((record.milliseconds * 1000).rounded() / 1000),
            "duration": .number(record.milliseconds.rounded()), "bytes_in": .number(Double(record.bytesIn)),
            "bytes_out": .number(Double(record.bytesOut)),
        ]
        if let upstream = record.upstream { values["upstream"] = .string(upstream) }
        let cookies = request.cookies
        if let vid = record.mintedVisitor ?? cookies["vid"] { values["vid"] = .string(vid) }
        if let sid = cookies["sid"] { values["sid"] = .string(sid) }
        var hit = rawHit(.tr, tuplets: "", request, client: client)
        hit.query = nil
        do {
            var processed = try pipeline.process(values, hit: hit)
            processed.event[.route] = "proxy"
            let quota = settings.dailyQuota
            ingest.submit([processed.event]) { [drops] result in
                if case .failure = result { drops.count(.storageUnavailable); return }
                drops.countAccepted(1)
                quota?.count(client ?? "-", now: Date().timeIntervalSince1970)
            }
        } catch {
            drops.count(error.reason)
        }
    }
}
