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
