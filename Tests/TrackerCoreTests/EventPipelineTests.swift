import Foundation
import Testing
import TrackerTesting
@testable import TrackerCore

@Suite struct EventPipelineTests {
    let clock = FixedClock()
    let sessions = SessionTracker()
    let random = CountingRandom()

    func pipeline(_ configure: (inout PipelineConfiguration) -> Void = { _ in }) -> EventPipeline {
        var configuration = PipelineConfiguration(privateHashSalt: "", ipHashKey: IPHashKey(bytes: Array(repeating: 1, count: 32)))
        configure(&configuration)
        return EventPipeline(configuration: configuration, sessions: sessions, clock: clock, random: random)
    }

    func process(_ body: String, route: TrackRoute = .tr, cookies: HitCookies = [:], ip: String? = "203.0.113.7",
                 _ configure: (inout PipelineConfiguration) -> Void = { _ in }) throws -> ProcessedEvent {
        let hit = RawHit(route: route, method: "POST", path: "/\(route.rawValue)/v1/", body: Array(body.utf8),
                         cookies: cookies, userAgent: "Mozilla/5.0 Test", acceptLanguage: "en-US,en;q=0.9",
                         requestHost: "tr.example.com", clientIP: ip)
        let values = try HitParser(limits: HitLimits()).parse(hit)
        return try pipeline(configure).process(values[0], hit: hit)
    }

    /// Upstream's README example, with the types that made upstream's insert fail (§18.1).
    @Test func upstreamsFailedExampleIsStoredInFull() throws {
        let body = #"""
        {"last":"https://localhost:5001/cw.html","url":"https://localhost:5001/cw.html","params":{"type":"a","aff":"Bespoke"},
         "created":1539102052702,"duration":34752,"vid":"3d0be300-cbd2-11e8-aa59-ffd128a54d91","first":"false",
         "sid":"3d0be301-cbd2-11e8-aa59-ffd128a54d91","tz":"America/Los_Angeles","device":"Linux","os":"Linux",
         "sink":"cw$","score":1,"eid":"cw-a","uid":"admin","rel":1,"page":1}
        """#
        let event = try process(body).event
        #expect(event[.rel] == "1")
        #expect(event[.uid] == "admin")
        #expect(event[.vid] == "3d0be300-cbd2-11e8-aa59-ffd128a54d91")
        #expect(event[.sid] == "3d0be301-cbd2-11e8-aa59-ffd128a54d91")
        #expect(event[.url] == "//localhost:5001/cw.html")
        #expect(event[.last] == "//localhost:5001/cw.html")
        #expect(event[.duration] == 34752)
        #expect(event[.score] == 1)
        #expect(event[.tz] == "America/Los_Angeles")
        #expect(event[.device] == "Linux")
        #expect(event[.os] == "Linux")
        #expect(event[.sink] == "cw$")
        #expect(event.params == ["type": "a", "aff": "Bespoke", "eid": "cw-a", "page": "1"])
        #expect(event.nparams == ["page": 1])
        #expect(event.eid != "cw-a")
    }

    @Test func serverIdsAreTimeOrderedUUIDv7() throws {
        let first = try process("{}").event
        clock.advance(by: 0.002)
        let second = try process("{}").event
        let uuid = try #require(TimeUUID.parse(first.eid))
        #expect(TimeUUID.version(of: uuid) == 7)
        #expect(TimeUUID.timestamp(of: uuid) == first.created)
        #expect(first.eid < second.eid)
        #expect(first.created == clock.now().addingTimeInterval(-0.002))
    }

    @Test(arguments: ["3d0be300-cbd2-11e8-aa59-ffd128a54d91", "9b2c1c7e-8c2f-4d6a-9a51-0c5f1d2f3a4b",
                      "01900000-0000-7000-8000-000000000001", "custom-visitor-42"])
    func anyClientVisitorIdIsKept(_ vid: String) throws {
        let processed = try process("{}", cookies: ["vid": vid])
        #expect(processed.event[.vid] == vid)
        #expect(!processed.setsVisitorCookie)
    }

    @Test func uppercaseUUIDsAreNormalised() throws {
        #expect(try process(#"{"vid":"9B2C1C7E-8C2F-4D6A-9A51-0C5F1D2F3A4B"}"#).event[.vid] == "9b2c1c7e-8c2f-4d6a-9a51-0c5f1d2f3a4b")
    }

    @Test func aMissingVisitorIsMintedAndGetsACookie() throws {
        let processed = try process("{}")
        #expect(processed.setsVisitorCookie)
        #expect(TimeUUID.parse(processed.event[.vid] ?? "").map(TimeUUID.version) == 7)
    }

    /// A minted visitor's session is remembered from the ids' bytes: the next hit with the new
    /// cookie continues it, and a hit that also sent its own `sid` keeps that one.
    @Test func aMintedVisitorsNextHitContinuesItsSession() throws {
        let first = try process("{}").event
        clock.advance(by: 60)
        let next = try process("{}", cookies: ["vid": first[.vid] ?? ""]).event
        #expect(next[.vid] == first[.vid])
        #expect(next[.sid] == first[.sid])
        #expect(TimeUUID.parse(first[.sid] ?? "").map(TimeUUID.version) == 7)
        let own = "3d0be301-cbd2-11e8-aa59-ffd128a54d91"
        let withSID = try process(#"{"sid":"\#(own)"}"#).event
        let after = try process("{}", cookies: ["vid": withSID[.vid] ?? ""]).event
        #expect(withSID[.sid] == own && after[.sid] == own)
    }

    @Test func serverEventsNeverSetCookies() throws {
        #expect(!(try process("{}", route: .str)).setsVisitorCookie)
    }

    @Test func aUUIDUserIdBecomesTheVisitor() throws {
        let uid = "14fb0860-b4bf-11e9-8971-7b80435315ac"
        let processed = try process(#"{"uid":"\#(uid)"}"#, cookies: ["vid": "anonymous"])
        #expect(processed.event[.vid] == uid)
        #expect(processed.event[.uid] == uid)
        #expect(processed.setsVisitorCookie)
    }

    @Test func hitsWithoutSessionShareOneUntilThirtyIdleMinutes() throws {
        let a = try process("{}", cookies: ["vid": "v"]).event
        clock.advance(by: 29 * 60)
        let b = try process("{}", cookies: ["vid": "v"]).event
        clock.advance(by: 30 * 60)
        let c = try process("{}", cookies: ["vid": "v"]).event
        let other = try process("{}", cookies: ["vid": "w"]).event
        #expect(a[.sid] == b[.sid])
        #expect(b[.sid] != c[.sid])
        #expect(other[.sid] != c[.sid])
    }

    @Test func urlCleanupKeepsCaseButDropsSchemeQueryAndFragment() throws {
        let event = try process(#"{"url":"HTTPS://Shop.Example.COM/Cart/ABC?x=1#top","last":"/Relative/Path?q"}"#).event
        #expect(event[.url] == "//shop.example.com/Cart/ABC")
        #expect(event[.last] == "/Relative/Path")
    }

    @Test func urlFilterKeepsTheConfiguredGroup() throws {
        let regex = try NSRegularExpression(pattern: #"http(s|)://(www\.|)(example\.com)(/[^\?#]*)"#)
        let event = try process(#"{"url":"https://www.example.com/Path/X?y"}"#) { $0.urlCleaner = URLCleaner(filter: regex, matchGroup: 4) }.event
        #expect(event[.url] == "/Path/X")
    }

    @Test func personalDataIsOnlyStoredAsSaltedHashes() throws {
        let event = try process(#"{"email":"A@B.com","cell":"+1 555","uname":"Ann"}"#) { $0.privateHashSalt = "" }.event
        #expect(event[.ehash] == "ECKww6HZpkCa4N0jZP3P5B9jriI=")
        #expect(event[.chash] == Hashing.privateHash("+1 555", salt: ""))
        #expect(event[.uhash] == Hashing.privateHash("ann", salt: ""))
        let stored = event.text.values.joined() + event.params.values.joined()
        #expect(!stored.contains("A@B.com") && !stored.contains("555") && !stored.contains("Ann"))
        let salted = try process(#"{"email":"a@b.com"}"#) { $0.privateHashSalt = "s3cret" }.event
        #expect(salted[.ehash] == Hashing.privateHash("a@b.com", salt: "s3cret"))
    }

    @Test func rawIPIsNotStoredUnlessAsked() throws {
        let hashed = try process("{}").event
        #expect(hashed[.ip] == nil)
        #expect(hashed[.iphash] != nil)
        let everything = hashed.text.values.joined() + hashed.params.values.joined()
        #expect(!everything.contains("203.0.113.7"))
        #expect(try process("{}") { $0.storeRawIP = true }.event[.ip] == "203.0.113.7")
    }

    @Test func paramsOfAnyTypeAreCoercedToTextAndNumbers() throws {
        let event = try process(#"{"params":{"n":6,"f":2.5,"t":true,"s":"False","u":" TRUE ","v":"truely","num":"7","o":{"a":1},"l":[1,"x"],"z":null},"extra":"Yes"}"#).event
        #expect(event.params == ["n": "6", "f": "2.5", "t": "true", "s": "False", "u": " TRUE ", "v": "truely", "num": "7", "o": #"{"a":1}"#,
                                 "l": #"[1,"x"]"#, "extra": "Yes"])
        #expect(event.nparams == ["n": 6, "f": 2.5, "t": 1, "s": 0, "u": 1, "num": 7])
    }

    @Test func typedColumnsAcceptAnyJSONType() throws {
        let event = try process(#"{"rel":2.5,"ver":3,"version":"ignored","xid":true,"score":"0.75","cflags":"1024","w":1280.9,"lat":"37.5","lon":"bad","country":"nz"}"#).event
        #expect(event[.rel] == "2.5")
        #expect(event[.ver] == "3")
        #expect(event[.xid] == "true")
        #expect(event[.score] == 0.75)
        #expect(event[.cflags] == 1024)
        #expect(event[.w] == 1280)
        #expect(event[.lat] == 37.5)
        #expect(event[.lon] == nil)
        #expect(event[.country] == "NZ")
        #expect(event.params["version"] == "ignored")
    }

    @Test func theTimeZoneNamesTheCountryWhenNoneIsSent() throws {
        #expect(try process(#"{"tz":"America/Los_Angeles"}"#).event[.country] == "US")
        #expect(try process(#"{"tz":"europe/berlin"}"#).event[.country] == "DE")
        #expect(try process(#"{"tz":"Europe/Berlin","country":"fr"}"#).event[.country] == "FR")
        #expect(try process(#"{"tz":"Mars/Olympus"}"#).event[.country] == nil)
    }

    @Test func versionIsReadWhenVerIsAbsent() throws {
        #expect(try process(#"{"version":4}"#).event[.ver] == "4")
    }

    @Test func siteIsTheExplicitHostThenTheOriginThenTheRequestHost() throws {
        #expect(try process(#"{"host":"Shop.Example"}"#).event[.host] == "shop.example")
        #expect(try process("{}").event[.hhash] == Hashing.hostHash("tr.example.com"))
    }

    @Test func clientSoftwareIsRecordedForClientEventsOnly() throws {
        let client = try process("{}").event
        #expect(client[.browser] == "Mozilla/5.0 Test")
        #expect(client[.culture] == "en-us")
        #expect(client[.bhash] == Hashing.hostHash("mozilla/5.0 test"))
        let server = try process("{}", route: .str).event
        #expect(server[.browser] == nil)
        #expect(server.isServer)
    }

    @Test func theCultureIsTheFirstLanguageOfAcceptLanguage() {
        let cases: [(String, String?)] = [
            ("en-US,en;q=0.9", "en-us"), ("de-CH;q=1, fr", "de-ch"), (" pt-BR ", "pt-br"), (",,it", "it"),
            ("*", nil), ("", nil), (";q=1, en", nil), ("  , en", nil), ("ZH-Hant-TW", "zh-hant-tw"),
        ]
        for (header, culture) in cases {
            #expect(PipelineSteps.firstLanguage(header) == culture, "\(header)")
        }
    }

    @Test func accountMixerRejectsAWrongAccount() throws {
        let mixer = "mix"
        let good = Hashing.base36(Hashing.fnv1a32("tr.example.com" + mixer))
        #expect(throws: Never.self) { try process(#"{"acct":"\#(good)"}"#) { $0.accountHashMixer = mixer } }
        #expect { try process(#"{"acct":"nope"}"#) { $0.accountHashMixer = mixer } } throws: {
            ($0 as? Rejection)?.reason == .accountMismatch
        }
        #expect { try process("{}") { $0.accountHashMixer = mixer } } throws: { ($0 as? Rejection)?.reason == .accountMismatch }
    }

    @Test func upstreamVectorPathOnly() throws {
        let hit = RawHit(route: .tr, path: "/tr/v1/vid/X/ROCK/ON/", tuplets: "/vid/X/ROCK/ON/", requestHost: "localhost")
        let event = try pipeline().process(try HitParser(limits: HitLimits()).parse(hit)[0], hit: hit).event
        #expect(event.params == ["rock": "ON"])
        #expect(event[.hhash] == "d4md6")
        #expect(event[.vid] == "X")
    }
}
