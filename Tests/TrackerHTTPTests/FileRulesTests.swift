import Testing
@testable import TrackerHTTP

@Suite struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-99", ByteRange.partial(offset: 0, length: 100)),
        ("bytes=100-", .partial(offset: 100, length: 900)),
        ("bytes=-100", .partial(offset: 900, length: 100)),
        ("bytes=900-5000", .partial(offset: 900, length: 100)),
        ("bytes=-5000", .partial(offset: 0, length: 1000)),
        ("bytes=1000-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=5-2", .whole),
        ("bytes=0-1,5-6", .whole),
        ("items=0-1", .whole),
        ("bytes=abc", .whole),
    ])
    func parses(_ header: String, _ expected: ByteRange) {
        #expect(ByteRange.parse(header, size: 1000) == expected)
    }

    @Test func noHeaderMeansTheWholeFile() {
        #expect(ByteRange.parse(nil, size: 10) == .whole)
    }
}

@Suite struct CacheControlRulesTests {
    @Test func firstMatchingRuleWinsThenFingerprintsThenRevalidate() {
        let rules = CacheControlRules(rules: [.init(pattern: "*.html", value: "no-store"), .init(pattern: "/docs/**", value: "max-age=60")])
        #expect(rules.value(for: "/index.html") == "no-store")
        #expect(rules.value(for: "/docs/a/b.txt") == "max-age=60")
        #expect(rules.value(for: "/assets/app.3f2a9c1b.js") == CacheControlRules.immutable)
        #expect(rules.value(for: "/assets/logo-5d41402abc4b.png") == CacheControlRules.immutable)
        #expect(rules.value(for: "/assets/app.js") == CacheControlRules.revalidate)
        #expect(CacheControlRules(immutableFingerprinted: false).value(for: "/app.3f2a9c1b.js") == CacheControlRules.revalidate)
    }

    @Test func globs() {
        #expect(CacheControlRules.glob("*.css", matches: "/a/b/site.css"))
        #expect(!CacheControlRules.glob("/a/*.css", matches: "/a/b/site.css"))
        #expect(CacheControlRules.glob("/a/**.css", matches: "/a/b/site.css"))
        #expect(CacheControlRules.glob("file?.txt", matches: "/file1.txt"))
    }
}

@Suite struct ContentNegotiationTests {
    @Test func acceptedEncodingsSkipZeroQuality() {
        #expect(FileLookup.acceptedEncodings("gzip, br;q=0.9") == ["gzip", "br"])
        #expect(FileLookup.acceptedEncodings("br;q=0, gzip") == ["gzip"])
        #expect(FileLookup.acceptedEncodings("br;q=0.5") == ["br"])
    }
}

@Suite struct HTTPDateTests {
    @Test func formatsAndParsesTheRFCExample() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.parse("yesterday") == nil)
    }

    @Test func theCurrentDateIsMadeOnceASecond() {
        let now = Date(timeIntervalSince1970: 1_790_000_000.25)
        #expect(HTTPDate.current(now) == HTTPDate.format(now))
        #expect(HTTPDate.current(now.addingTimeInterval(0.5)) == HTTPDate.format(now))
        #expect(HTTPDate.current(now.addingTimeInterval(1)) == HTTPDate.format(now.addingTimeInterval(1)))
    }
}

import Foundation
