import NIOCore
import NIOHTTP1
import TrackerCore

/// The answers a tracking route gives most, kept as their parts until a connection writes them:
/// the pixel, the redirect and `/tr/`'s empty 200, each with the visitor cookie and the CORS
/// headers. A connection that writes HTTP/1 bytes itself (`DirectConnection`) writes them
/// straight into its buffer (`AnswerEncoder.encodeTracking`); anything else takes `response`.
/// Made into a response first, the pixel's answer was a header list, a string per header and
/// for the cookie, a check of every header's bytes and a second walk to write them: about a
/// tenth of its thread's time per pixel, besides the socket. Both ways give the same bytes
/// (`TrackingAnswerTests`).
public struct TrackingAnswer: Sendable {
    enum Shape: Sendable, Equatable {
        case pixel
        /// A 302 to this target (decided by `RedirectPolicy`).
        case redirect(String)
        /// `/tr/`'s 200 with no body.
        case accepted
    }

    let shape: Shape
    /// The `vid` cookie to set, and where.
    let cookie: CookieSetting?
    let cors: CORSPolicy
    /// The request's `Origin`.
    let origin: String?

    /// Only for an id that can be a cookie's value (`VisitorCookie.canCarry`): an id the client
    /// chose may not be one, and is then stored but not set.
    struct CookieSetting: Sendable {
        let maker: VisitorCookie
        let vid: String
        let host: String
        let secure: Bool

        init?(maker: VisitorCookie, vid: String, host: String, secure: Bool) {
            guard VisitorCookie.canCarry(vid) else { return nil }
            (self.maker, self.vid, self.host, self.secure) = (maker, vid, host, secure)
        }
    }

    var status: HTTPResponseStatus {
        if case .redirect = shape { return .found }
        return .ok
    }

    var body: [UInt8] { shape == .pixel ? Pixel.gif : [] }

    /// The same answer as a response (HTTP/2, HTTPS, tests): the headers `writeHeaders` writes,
    /// in the same order.
    public var response: HTTPResponse {
        var headers: [(String, String)] = []
        headers.reserveCapacity(6)
        switch shape {
        case .pixel:
            headers.append(("content-type", "image/gif"))
            headers.append(("cache-control", "no-store, max-age=0"))
        case .redirect(let target):
            headers.append(("location", target))
            headers.append(("cache-control", "no-store"))
        case .accepted:
            break
        }
        if let cookie {
            headers.append(("set-cookie", cookie.maker.header(vid: cookie.vid, requestHost: cookie.host, secure: cookie.secure)))
        }
        var response = HTTPResponse(status: status, headers: HTTPHeaders(headers), body: body)
        cors.headers(origin: origin, into: &response.headers)
        return response
    }

    /// The answer's own headers, as `response` has them. False when one cannot be sent (a
    /// `DefaultRedirect` from the config with a control character; requested targets with one
    /// are refused by `RedirectPolicy`): `response` then goes the checked way.
    func writeHeaders(to writer: inout HeadWriter) -> Bool {
        switch shape {
        case .pixel:
            writer.line("content-type: image/gif\r\ncache-control: no-store, max-age=0\r\n")
        case .redirect(let target):
            var target = target
            guard target.withUTF8(HeaderValidation.allValueBytes) else { return false }
            writer.add(name: "location", value: target)
            writer.line("cache-control: no-store\r\n")
        case .accepted:
            break
        }
        if let cookie { cookie.maker.write(vid: cookie.vid, requestHost: cookie.host, secure: cookie.secure, to: &writer) }
        // The origin was read from a request head whose values the parser checked.
        cors.headers(origin: origin, into: &writer)
        return true
    }
}

/// An answer for a connection that writes HTTP/1 bytes itself.
public enum WireAnswer: Sendable {
    case response(HTTPResponse)
    case tracking(TrackingAnswer)

    public var response: HTTPResponse {
        switch self {
        case .response(let response): return response
        case .tracking(let answer): return answer.response
        }
    }
}

/// Where a request's answer goes: a response to whoever asked, or a `WireAnswer` to a
/// connection that writes its own bytes.
enum Replier: Sendable {
    case response(@Sendable (HTTPResponse) -> Void)
    case wire(@Sendable (WireAnswer) -> Void)

    func send(_ response: HTTPResponse) {
        switch self {
        case .response(let respond): respond(response)
        case .wire(let respond): respond(.response(response))
        }
    }

    func send(_ answer: TrackingAnswer) {
        switch self {
        case .response(let respond): respond(answer.response)
        case .wire(let respond): respond(.tracking(answer))
        }
    }

    /// As a closure, for routes that answer with a response in any case.
    var responding: @Sendable (HTTPResponse) -> Void {
        switch self {
        case .response(let respond): return respond
        case .wire(let respond): return { respond(.response($0)) }
        }
    }
}
