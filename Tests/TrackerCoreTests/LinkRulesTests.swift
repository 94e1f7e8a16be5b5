import Foundation
import Testing
import TrackerTesting
@testable import TrackerCore

@Suite struct LinkRulesTests {
    @Test func slugsAreLowerCasedAndChecked() throws {
        #expect(try LinkRules.slug("/Spring-Sale").get() == "spring-sale")
        #expect(try LinkRules.slug("a/b.c~d_e").get() == "a/b.c~d_e")
        for bad in ["", "/", "a b", "a//b", "a/", "../x", "a/./b", "tr/v1", "RDR", "ping", "x?y", "é", String(repeating: "a", count: 201)] {
            #expect(throws: LinkProblem.self, "\(bad)") { try LinkRules.slug(bad).get() }
        }
    }

    @Test func targetsAreAbsoluteHTTPWithoutCredentialsOrLoops() throws {
        let hosts = ["go.example.com"]
        #expect(try LinkRules.target(" https://Shop.example.com/Sale?x=1 ", shortHosts: hosts).get() == "https://Shop.example.com/Sale?x=1")
        #expect(try LinkRules.target("http://go.example.com/rdr/v1/?url=x", shortHosts: hosts).get() == "http://go.example.com/rdr/v1/?url=x")
        for bad in ["javascript:alert(1)", "//evil.example/", "/relative", "ftp://x.example/", "https://user:pw@x.example/",
                    "https://x.example@evil.example/", "https://x.example/a b", "https://x.example\\@evil", "https://go.example.com/other",
                    "https://", "https://x.example/" + String(repeating: "a", count: 4100)] {
            #expect(throws: LinkProblem.self, "\(bad)") { try LinkRules.target(bad, shortHosts: hosts).get() }
        }
    }

    @Test func trackedRedirectsAreRecognised() {
        #expect(LinkRules.isTrackedRedirect("https://t.example/rdr/v1/?url=https%3A%2F%2Fa"))
        #expect(LinkRules.isTrackedRedirect("https://t.example/tr/v1/rdr/?url=a"))
        #expect(!LinkRules.isTrackedRedirect("https://t.example/page?rdr/v1"))
        #expect(LinkRules.query(of: "https://t.example/rdr/v1/?a=1&b=2#frag") == "a=1&b=2")
    }

    @Test func apiKeysParseAndVerify() {
        let key = LinkCredentials.newKey(random: CountingRandom())
        #expect(key.token.hasPrefix("trk_\(key.id)_"))
        let parsed = LinkCredentials.parse(token: key.token)
        #expect(parsed?.id == key.id)
        #expect(LinkCredentials.matches(secret: parsed?.secret ?? "", hash: key.secretHash))
        #expect(!LinkCredentials.matches(secret: "wrong", hash: key.secretHash))
        #expect(LinkCredentials.parse(token: "Bearer x") == nil)
        #expect(LinkCredentials.parse(token: "trk__x") == nil)
        #expect(key.id.allSatisfy { $0.isLowercase || $0.isNumber } && key.id.count == 10)
    }

    @Test func passwordsAreSaltedAndSlow() {
        let random = SystemRandomSource()
        let one = LinkCredentials.hashPassword("s3cret", random: random, rounds: 1000)
        let two = LinkCredentials.hashPassword("s3cret", random: random, rounds: 1000)
        #expect(one != two, "a random salt each time")
        #expect(one.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(LinkCredentials.verifyPassword("s3cret", stored: one))
        #expect(!LinkCredentials.verifyPassword("s3cret ", stored: one))
        #expect(!LinkCredentials.verifyPassword("s3cret", stored: "garbage"))
        #expect(LinkCredentials.hashPassword("x", random: random).contains("$600000$"), "OWASP's count by default")
    }
}
