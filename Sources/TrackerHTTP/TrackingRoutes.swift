import Foundation
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// `/tr/`, `/str/`, `/img/`, `/rdr/`, `/pub/`: parse, run the pipeline, hand the events to the
/// ingest queue, and answer once they are durable. The pixel, redirect and file routes answer the
/// same way whatever went wrong (a broken e-mail client must still get its image); `/tr/` and
/// `/str/` say what was wrong.
extension TrackerApplication {
    func track(_ route: TrackRoute, tuplets: String, _ request: HTTPRequest, client: String?, limited: Bool,
               _ respond: Replier) {
        if request.method == .OPTIONS {
            return respond.send(settings.cors.preflight(origin: request.headers.first(name: "origin")))
        }
        if route == .tr || route == .str, !Self.takesEvents(request.method) {
            drops.count(.unsupportedMethod)
            return respond.send(withCORS(.error(.methodNotAllowed, DropReason.unsupportedMethod.message), request))
        }
        guard let slot = limiter.acquire() else {
            drops.count(.overCapacity)
            var response = HTTPResponse.text(.serviceUnavailable, "Maximum clients reached on this node.\n")
            response.headers.add(name: "retry-after", value: "1")
            return respond.send(response)
        }
        let hit = rawHit(route, tuplets: tuplets, request, client: client)
        guard request.method != .HEAD else { return answer(.stored([], cookie: nil), route, tuplets, request, hit, slot, respond) }
        if limited {
            drops.count(.rateLimited)
            return answer(.rejected(Rejection(.rateLimited)), route, tuplets, request, hit, slot, respond)
        }
        let processed: ProcessedHit
        do {
            processed = try pipeline.process(parser.parse(hit), hit: hit)
        } catch {
            drops.count(error.reason)
            if settings.debug { logger.info("dropped \(route.rawValue) event: \(error.reason.rawValue): \(error.detail)") }
            return answer(.rejected(error), route, tuplets, request, hit, slot, respond)
        }
        let (events, cookie) = (processed.events, processed.visitorCookie)
        ingest.submit(events, on: request.completionExecutor) { [self] result in
            switch result {
            case .success:
                drops.countAccepted(events.count)
                if let quota = settings.dailyQuota, !route.isServer { quota.count(client ?? "-", events: events.count, now: Date().timeIntervalSince1970) }
                answer(.stored(events, cookie: cookie), route, tuplets, request, hit, slot, respond)
            case .failure(let error):
                drops.count(.storageUnavailable, events.count)
                answer(.rejected(Rejection(.storageUnavailable, error.description)), route, tuplets, request, hit, slot, respond)
            }
        }
    }

    /// The answer once the outcome is known, whichever path led to it (a method, not a closure
    /// made for every request: the ingest queue's completion captures what it needs).
    func answer(_ outcome: Outcome, _ route: TrackRoute, _ tuplets: String, _ request: HTTPRequest, _ hit: RawHit,
                _ slot: ConcurrencyLimiter.Slot, _ respond: Replier) {
        slot.release()
        if let fixed = trackingAnswer(route, request, hit: hit, outcome) { return respond.send(fixed) }
        // The hit's own Origin (the request's, read once), added in place: a copy of the
        // answer to add them reallocated its header list.
        var built = reply(route, request, hit: hit, outcome)
        settings.cors.headers(origin: hit.origin, into: &built.headers)
        guard route == .pub, let publicRoot else { return respond.send(built) }
        let response = built
        let withTracking: @Sendable (HTTPResponse) -> Void = { file in
            var file = file
            for (name, value) in response.headers where name.lowercased().hasPrefix("access-control") || name.lowercased() == "set-cookie" || name.lowercased() == "vary" {
                file.headers.add(name: name, value: value)
            }
            respond.send(file)
        }
        if let page = webAssets.upstreamPage(tuplets, request, publicRoot: publicRoot.root) { return withTracking(page) }
        files.respond(root: publicRoot.root, relativePath: tuplets, request: request, options: publicRoot.options, withTracking)
    }

    /// GET, POST, PUT and HEAD (a switch: an array literal of methods was made per request).
    static func takesEvents(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .POST, .PUT, .HEAD: return true
        default: return false
        }
    }

    enum Outcome: Sendable {
        /// The events stored (their ids answer `/str/`), and the `vid` to set as a cookie.
        case stored([Event], cookie: String?)
        case rejected(Rejection)
    }

    func rawHit(_ route: TrackRoute, tuplets: String, _ request: HTTPRequest, client: String?) -> RawHit {
        let headers = HitHeaders(request.headers)
        return RawHit(
            route: route, method: request.method.rawValue, path: request.path, tuplets: route == .pub ? "" : tuplets,
            query: request.query,
            body: request.body, contentType: headers.contentType, cookies: headers.cookies,
            userHeader: headers.user, userAgent: headers.userAgent,
            acceptLanguage: headers.acceptLanguage, origin: headers.origin,
            requestHost: HTTPRequest.hostName(headers.host),
            clientIP: client,
            isHTTPS: isHTTPS(request),
            privacySignal: settings.honorPrivacySignals && headers.privacySignal)
    }

    /// The pixel, the redirect and `/tr/`'s 200, as their parts (`TrackingAnswer`): the pixel
    /// and the redirect whatever happened to the events (a broken e-mail client must still get
    /// its image). Nil for the other answers, and when `Debug` adds why events were dropped.
    func trackingAnswer(_ route: TrackRoute, _ request: HTTPRequest, hit: RawHit, _ outcome: Outcome) -> TrackingAnswer? {
        switch (route, outcome) {
        case (.img, .stored), (.rdr, .stored), (.tr, .stored): break
        case (.img, .rejected), (.rdr, .rejected): if settings.debug { return nil }
        default: return nil
        }
        return TrackingAnswer(shape: shape(route, request), cookie: cookieSetting(outcome, hit), cors: settings.cors, origin: hit.origin)
    }

    func shape(_ route: TrackRoute, _ request: HTTPRequest) -> TrackingAnswer.Shape {
        switch route {
        case .img: return .pixel
        case .rdr: return .redirect(settings.redirects.target(for: request.query.flatMap { Self.queryValue("url", in: $0) }))
        default: return .accepted
        }
    }

    /// The `vid` cookie, for a browser whose visitor id is new to it.
    func cookieSetting(_ outcome: Outcome, _ hit: RawHit) -> TrackingAnswer.CookieSetting? {
        guard case .stored(_, let vid?) = outcome, !hit.route.isServer else { return nil }
        return TrackingAnswer.CookieSetting(maker: cookie, vid: vid, host: hit.requestHost, secure: hit.isHTTPS)
    }

    /// Every other answer of the tracking routes, as a response without its CORS headers
    /// (`answer` adds them): `/str/`'s ids, `/pub/` without a static directory, what was
    /// wrong, and the pixel and the redirect with `Debug`'s header.
    func reply(_ route: TrackRoute, _ request: HTTPRequest, hit: RawHit, _ outcome: Outcome) -> HTTPResponse {
        var response: HTTPResponse
        switch (route, outcome) {
        case (.img, _), (.rdr, _), (.tr, .stored):
            // Only with `Debug`'s header to add (else `trackingAnswer` takes them): without
            // CORS here, as `answer` adds it.
            response = TrackingAnswer(shape: shape(route, request), cookie: cookieSetting(outcome, hit),
                                      cors: CORSPolicy(allowedOrigins: []), origin: nil).response
        case (.pub, _):
            // Served by `answer`; this answer is only used when there is no static directory.
            response = .error(.notFound, "no static directory is configured")
            if let setting = cookieSetting(outcome, hit) {
                response.headers.add(name: "set-cookie", value: cookie.header(vid: setting.vid, requestHost: setting.host, secure: setting.secure))
            }
        case (.str, .stored(let events, _)):
            response = events.count == 1 && !hit.body.starts(with: [UInt8(ascii: "[")])
                ? .json(.ok, "{\"eid\":\"\(events[0].eid)\"}")
                : .json(.ok, "{\"eids\":[\(events.map { "\"\($0.eid)\"" }.joined(separator: ","))]}")
        case (.tr, .rejected(let rejection)), (.str, .rejected(let rejection)):
            response = .error(HTTPResponseStatus(statusCode: rejection.reason.httpStatus), rejection.reason.message)
            if rejection.reason.httpStatus == 503 { response.headers.add(name: "retry-after", value: "1") }
        }
        if case .rejected(let rejection) = outcome, settings.debug {
            response.headers.add(name: "x-tracker-drop", value: "\(rejection.reason.rawValue): \(rejection.detail)".prefix(512).description)
        }
        return response
    }

    static func queryValue(_ name: String, in query: String) -> String? {
        PercentDecoding.queryPairs(query).first { $0.0 == name }?.1
    }
}
