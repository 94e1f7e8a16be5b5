import NIOHTTP1
import Testing
import TrackerCore
@testable import TrackerHTTP

@Suite struct HTTPRequestTests {
    @Test func cookiesAreSplitTrimmedAndUnquotedAndTheFirstOfANameWins() {
        let request = HTTPRequest(method: .GET, uri: "/a?b=1", headers: [
            "Cookie": "vid=abc; sid = \"q1\" ;empty=;noeq; vid=second; é=ü=x", "cookie": "late=1",
        ])
        #expect(request.cookies == ["vid": "abc", "sid": "q1", "empty": "", "é": "ü=x", "late": "1"])
        #expect(HTTPRequest(method: .GET, uri: "/").cookies.isEmpty)
        #expect(request.cookies(named: ["vid", "late", "VID", "missing"]) == ["vid": "abc", "late": "1"])
    }

    /// Against the straightforward split-then-trim reading, on 3 000 random Cookie headers.
    @Test func cookieParsingAgreesWithSplittingAndTrimming() {
        func reference(_ headers: [String]) -> [String: String] {
            var result: [String: String] = [:]
            for header in headers {
                for part in header.split(separator: ";", omittingEmptySubsequences: false) {
                    guard let eq = part.firstIndex(of: "=") else { continue }
                    let name = String(part[..<eq]).trimmingCharacters(in: [" ", "\t", "\r", "\n"])
                    var value = String(part[part.index(after: eq)...]).trimmingCharacters(in: [" ", "\t", "\r", "\n"])
                    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                    if result[name] == nil { result[name] = value }
                }
            }
            return result
        }
        let alphabet: [String] = ["a", "B", "=", ";", " ", "\t", "\"", "é", "x1", "vid", "sid"]
        for _ in 0..<3000 {
            let headers = (0..<Int.random(in: 1...2)).map { _ in (0..<Int.random(in: 0...14)).map { _ in alphabet.randomElement()! }.joined() }
            var fields = HTTPHeaders()
            for header in headers { fields.add(name: Bool.random() ? "Cookie" : "cookie", value: header) }
            let request = HTTPRequest(method: .GET, uri: "/", headers: fields)
            #expect(request.cookies == reference(headers), "\(headers)")
            // Only the names asked for, exactly (cookie names are case-sensitive), as the full reading has them.
            let wanted = ["vid", "sid", "a", "b"]
            #expect(request.cookies(named: wanted) == reference(headers).filter { wanted.contains($0.key) }, "\(headers)")
        }
    }

    /// The one-pass pick of a hit's headers reads what `first(name:)` reads, for each name, on
    /// 3 000 random header lists (names in any case, repeated, absent, near misses).
    @Test func hitHeadersAgreeWithLookingEachUp() {
        let names = ["Content-Type", "content-type", "User", "USER", "User-Agent", "user-agent", "Accept-Language", "Origin",
                     "Host", "host", "Cookie", "cookie", "DNT", "dnt", "Sec-GPC", "sec-gpc", "X-User", "Users", "Hosts", "DNS"]
        let values = ["1", "0", "", "vid=a; sid=b", "sid=c; CookieConsent=7", "user=u; other=x", "text/plain", "Example.com:80"]
        for _ in 0..<3000 {
            var headers = HTTPHeaders()
            for _ in 0..<Int.random(in: 0...8) { headers.add(name: names.randomElement()!, value: values.randomElement()!) }
            let picked = HitHeaders(headers)
            #expect(picked.contentType == headers.first(name: "content-type"), "\(headers)")
            #expect(picked.user == headers.first(name: "user") && picked.userAgent == headers.first(name: "user-agent"), "\(headers)")
            #expect(picked.acceptLanguage == headers.first(name: "accept-language") && picked.origin == headers.first(name: "origin"))
            #expect(picked.host == headers.first(name: "host"), "\(headers)")
            #expect(picked.privacySignal == (headers.first(name: "dnt") == "1" || headers.first(name: "sec-gpc") == "1"), "\(headers)")
            let request = HTTPRequest(method: .GET, uri: "/", headers: headers)
            #expect(picked.cookies == HitCookies(request.cookies(named: HitCookies.names)), "\(headers)")
        }
    }

    @Test func targetsSplitIntoPathAndQuery() {
        let request = HTTPRequest(method: .GET, uri: "/é/a?b=1?c")
        #expect(request.path == "/é/a" && request.query == "b=1?c")
        #expect(HTTPRequest.split("/p?") == ("/p", "") && HTTPRequest.split("/p") == ("/p", nil))
    }

    @Test func hostNamesLoseTheirPortAndCase() {
        #expect(HTTPRequest.hostName("Shop.Example.com:8080") == "shop.example.com")
        #expect(HTTPRequest.hostName("[2001:DB8::1]:443") == "2001:db8::1")
        #expect(HTTPRequest.hostName(nil) == "" && HTTPRequest.hostName("a") == "a")
    }

    /// Routes found on the path's bytes agree with matching its Unicode scalars (a URL path is a
    /// sequence of code points, not of user-perceived characters: as Characters, a combining mark
    /// after the `/` of `/tr/v1/` hid the route), on listed edges and 3 000 random paths.
    @Test func trackingRoutesAreFoundAsTheScalarReadingFindsThem() {
        let prefixes = TrackerApplication.routePrefixes(apiVersion: 1)
        func reference(_ path: String) -> (TrackRoute, String)? {
            let scalars = Array(path.unicodeScalars)
            func after(_ prefix: String, _ start: Int) -> Int? {
                let p = Array(prefix.unicodeScalars)
                guard scalars.count >= start + p.count, Array(scalars[start..<(start + p.count)]) == p else { return nil }
                let end = start + p.count
                return end == scalars.count || scalars[end] == "/" ? end : nil
            }
            func text(_ from: Int) -> String { String(String.UnicodeScalarView(scalars[from...])) }
            for (route, prefix) in prefixes {
                guard let rest = after(prefix, 0) else { continue }
                if route == .tr {
                    for nested in TrackRoute.allCases {
                        if let tuplets = after("/\(nested.rawValue)", rest) { return (nested, text(tuplets)) }
                    }
                }
                return (route, text(rest))
            }
            return nil
        }
        var paths = ["/tr/v1", "/tr/v1/", "/tr/v1/vid/x", "/tr/v1/str/vid/x", "/tr/v1/strx/a", "/tr/v10", "/str/v1/e/1", "/img/v1",
                     "/img/v1/", "/rdr/v1/", "/pub/v1/a.txt", "/tr/v1/img", "/tr/v1/img/", "/x", "", "/tr/v1é", "/tr/v1/tr", "/tr/v1/pub/a/b",
                     "/tr/v1\u{301}", "/tr/v1/str\u{301}/x", "/TR/v1/", "tr/v1/"]
        let pieces = ["/", "tr", "str", "img", "rdr", "pub", "v1", "v2", "x", "é", "\u{301}", "/tr/v1", "/str/v1", "//"]
        paths += (0..<3000).map { _ in (0..<Int.random(in: 0...6)).map { _ in pieces.randomElement()! }.joined() }
        for path in paths {
            let found = TrackerApplication.trackRoute(path, prefixes: prefixes)
            let expected = reference(path)
            #expect(found?.0 == expected?.0 && found?.1 == expected?.1, "\(path)")
        }
    }

    @Test func onlyGetPostPutAndHeadCarryEvents() {
        #expect([HTTPMethod.GET, .POST, .PUT, .HEAD].allSatisfy(TrackerApplication.takesEvents))
        #expect(![HTTPMethod.DELETE, .PATCH, .OPTIONS, .RAW(value: "BREW")].contains(where: TrackerApplication.takesEvents))
    }
}
