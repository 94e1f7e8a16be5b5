import Foundation
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// Following a short link: the hit is recorded as upstream's `etyp=redirect`, `ename=short_rdr`
/// event with the link's campaign fields, counted, and the visitor sent on. A link onto one of our
/// own `/rdr/` URLs is followed in the same hop: its query becomes the event and its `url` the
/// destination (upstream §19), still through the redirect allow-list.
extension TrackerApplication {
    func followShortLink(_ link: ShortLink, _ request: HTTPRequest, client: String?) async -> HTTPResponse {
        var destination = link.target
        var rdrQuery: String?
        if LinkRules.isTrackedRedirect(link.target), let host = URLCleaner.host(of: link.target),
           host == request.host || settings.redirects.allows(host) || (shortLinks?.hosts.contains(host) ?? false) {
            rdrQuery = LinkRules.query(of: link.target)
            destination = settings.redirects.target(for: rdrQuery.flatMap { Self.queryValue("url", in: $0) })
        }
        var response = HTTPResponse(status: link.permanent ? .movedPermanently : .found,
                                    headers: ["location": destination, "cache-control": link.permanent ? "max-age=86400" : "no-store"])
        shortLinks?.countHit(link)
        // Rate-limited requests never get here (the route table answered 429).
        guard request.method != .HEAD else { return response }
        guard let slot = limiter.acquire() else { return response }
        defer { slot.release() }
        var hit = rawHit(.rdr, tuplets: "", request, client: client)
        hit.query = [request.query, rdrQuery].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "&")
        let shortURL = "\(isHTTPS(request) ? "https" : "http")://\(link.host)/\(link.slug)"
        let events: [ProcessedEvent]
        do {
            events = try parser.parse(hit).map { (values) throws(Rejection) in
                var values = values
                // `searchto` is what upstream's shortener kept about a link, not a campaign field.
                var defaults = link.fields.filter { $0.key != "searchto" }.mapValues(JSONValue.string)
                defaults["etyp"] = .string("redirect")
                defaults["ename"] = .string("short_rdr")
                defaults["url"] = .string(destination)
                defaults["last"] = .string(shortURL)
                for (key, value) in defaults where values[key] == nil { values[key] = value }
                return try pipeline.process(values, hit: hit)
            }
        } catch {
            drops.count(error.reason)
            return response
        }
        let stored: Bool = await withCheckedContinuation { continuation in
            ingest.submit(events.map(\.event)) { result in
                if case .success = result { continuation.resume(returning: true) } else { continuation.resume(returning: false) }
            }
        }
        if stored {
            drops.countAccepted(events.count)
            if let event = events.first(where: \.setsVisitorCookie)?.event, let vid = event[.vid], VisitorCookie.canCarry(vid) {
                response.headers.add(name: "set-cookie", value: cookie.header(vid: vid, requestHost: hit.requestHost, secure: hit.isHTTPS))
            }
        } else {
            drops.count(.storageUnavailable, events.count)
        }
        return response
    }
}
