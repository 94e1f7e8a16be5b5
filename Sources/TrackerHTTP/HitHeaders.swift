import NIOHTTP1
import TrackerCore

/// The headers a tracking hit is made of, picked in one pass over the request's headers (each
/// `first(name:)` walked the whole list again: nine walks for every tracking request). The
/// first of each name counts; every `Cookie` header is read, for `HitCookies.names` only.
struct HitHeaders {
    var contentType: String?
    var user: String?
    var userAgent: String?
    var acceptLanguage: String?
    var origin: String?
    var host: String?
    var cookies = HitCookies()
    /// The first `DNT` or `Sec-GPC` header says `1`.
    var privacySignal = false
    private var dnt: String?
    private var secGPC: String?

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            switch name.utf8.count {
            case 3 where ASCII.equalsIgnoringCase(name, lowercase: "dnt"): dnt = dnt ?? value
            case 4 where ASCII.equalsIgnoringCase(name, lowercase: "host"): host = host ?? value
            case 4 where ASCII.equalsIgnoringCase(name, lowercase: "user"): user = user ?? value
            case 6 where ASCII.equalsIgnoringCase(name, lowercase: "cookie"):
                Self.addCookies(of: value, to: &cookies)
            case 6 where ASCII.equalsIgnoringCase(name, lowercase: "origin"): origin = origin ?? value
            case 7 where ASCII.equalsIgnoringCase(name, lowercase: "sec-gpc"): secGPC = secGPC ?? value
            case 10 where ASCII.equalsIgnoringCase(name, lowercase: "user-agent"): userAgent = userAgent ?? value
            case 12 where ASCII.equalsIgnoringCase(name, lowercase: "content-type"): contentType = contentType ?? value
            case 15 where ASCII.equalsIgnoringCase(name, lowercase: "accept-language"): acceptLanguage = acceptLanguage ?? value
            default: break
            }
        }
        privacySignal = dnt == "1" || secGPC == "1"
    }

    /// A hit's cookies from one `Cookie` header; names already set are left as they are.
    static func addCookies(of header: String, to cookies: inout HitCookies) {
        HTTPRequest.forEachCookie(of: header) { name, value in
            guard let known = HitCookies.name(of: name), cookies[known] == nil else { return }
            cookies[known] = String(decoding: value(), as: UTF8.self)
        }
    }
}
