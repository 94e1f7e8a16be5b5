import NIOHTTP1
import Testing
@testable import TrackerHTTP

@Suite struct HTTPRequestTests {
    @Test func cookiesAreSplitTrimmedAndUnquotedAndTheFirstOfANameWins() {
        let request = HTTPRequest(method: .GET, uri: "/a?b=1", headers: [
            "Cookie": "vid=abc; sid = \"q1\" ;empty=;noeq; vid=second; é=ü=x", "cookie": "late=1",
        ])
        #expect(request.cookies == ["vid": "abc", "sid": "q1", "empty": "", "é": "ü=x", "late": "1"])
        #expect(HTTPRequest(method: .GET, uri: "/").cookies.isEmpty)
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
}
