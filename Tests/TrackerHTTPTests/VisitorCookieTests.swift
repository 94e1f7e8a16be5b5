import Testing
@testable import TrackerHTTP

@Suite struct VisitorCookieTests {
    @Test func theCookieIsOnTheRegistrableDomainOfEachHost() {
        let cookie = VisitorCookie(maxAgeSeconds: 600, domain: nil)
        let vid = "0190a000-0000-7000-8000-000000000001"
        // Asked twice each: the second answer comes from what the first remembered.
        for _ in 0..<2 {
            #expect(cookie.header(vid: vid, requestHost: "t.shop.example.co.uk", secure: true)
                == "vid=\(vid); Path=/; Max-Age=600; SameSite=Lax; Domain=example.co.uk; Secure")
            #expect(cookie.header(vid: vid, requestHost: "t.shop.example.co.uk", secure: false)
                == "vid=\(vid); Path=/; Max-Age=600; SameSite=Lax; Domain=example.co.uk")
            #expect(cookie.header(vid: vid, requestHost: "127.0.0.1", secure: false) == "vid=\(vid); Path=/; Max-Age=600; SameSite=Lax")
            #expect(cookie.header(vid: "x", requestHost: "localhost", secure: true) == "vid=x; Path=/; Max-Age=600; SameSite=Lax; Secure")
        }
    }

    @Test func onlyIdsMadeOfCookieOctetsAreSet() {
        for vid in ["0190a000-0000-7000-8000-000000000001", "user-42", "a!#$%&'()*+-./:<=>?@[]^_`{|}~"] {
            #expect(VisitorCookie.canCarry(vid), "\(vid)")
        }
        for vid in ["", "a b", "a;b", "a,b", "a\"b", "a\\b", "a\rb", "a\u{7F}", "café"] {
            #expect(!VisitorCookie.canCarry(vid), "\(vid)")
        }
    }

    @Test func aConfiguredDomainIsUsedForEveryHost() {
        let cookie = VisitorCookie(maxAgeSeconds: 60, domain: "example.org")
        #expect(cookie.header(vid: "v", requestHost: "a.example.com", secure: false) == "vid=v; Path=/; Max-Age=60; SameSite=Lax; Domain=example.org")
    }
}
