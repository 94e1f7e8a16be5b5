import Testing
@testable import TrackerCore

@Suite struct HitParserTests {
    let parser = HitParser(limits: HitLimits())

    @Test func pathTupletsKeepValueCaseAndDropTheOddTail() throws {
        let hit = RawHit(route: .tr, path: "/tr/v1/vid/X/ROCK/ON/lat/37.2/dangling", tuplets: "/vid/X/ROCK/ON/lat/37.2/dangling")
        let values = try parser.parse(hit)[0]
        #expect(values["vid"] == .string("X"))
        #expect(values["rock"] == .string("ON"))
        #expect(values["lat"] == .string("37.2"))
        #expect(values["dangling"] == nil)
        #expect(values["tr"] == nil)
    }

    @Test func pathTupletsArePercentDecoded() {
        #expect(PathTuplets.pairs("/ename/sign%20up/url/%2Fa%2Fb").map { "\($0.0)=\($0.1)" } == ["ename=sign up", "url=/a/b"])
        // Paths of slashes only have none (answered without splitting); a lone key is dropped.
        for empty in ["", "/", "///", "/ename"] { #expect(PathTuplets.pairs(empty).isEmpty, "\(empty)") }
        #expect(PathTuplets.pairs("//vid/x/").map { "\($0.0)=\($0.1)" } == ["vid=x"])
    }

    @Test func queryStripsUTMAndContentBecomesTheEventName() throws {
        let hit = RawHit(route: .img, path: "/img/v1/", tuplets: "/", query: "utm_source=FB&utm_content=Clicked_Ad&gu=1")
        let values = try parser.parse(hit)[0]
        #expect(values["source"] == .string("FB"))
        #expect(values["ename"] == .string("Clicked_Ad"))
        #expect(values["content"] == nil)
        #expect(values["gu"] == .string("1"))
    }

    @Test func explicitEventNameWinsOverContent() throws {
        let hit = RawHit(route: .tr, path: "/tr/v1/", query: "utm_content=ad&ename=signup")
        let values = try parser.parse(hit)[0]
        #expect(values["ename"] == .string("signup"))
        #expect(values["content"] == .string("ad"))
    }

    @Test func ignoreKeySkipsTheWholeQuery() throws {
        let hit = RawHit(route: .tr, path: "/tr/v1/", query: "igqp=1&secret=x")
        #expect(try parser.parse(hit)[0].isEmpty)
    }

    @Test func mergeOrderIsHeaderCookiesPathQueryBody() throws {
        let hit = RawHit(route: .tr, method: "POST", path: "/tr/v1/a/path", tuplets: "/a/path/b/path", query: "b=query&c=query",
                         body: Array(#"{"C":"body","d":null}"#.utf8),
                         cookies: ["vid": "cookie-vid", "sid": "cookie-sid", "CookieConsent": "42"],
                         userHeader: #"{"a":"header","vid":"header-vid","uid":"u1"}"#)
        let values = try parser.parse(hit)[0]
        #expect(values["a"] == .string("path"))
        #expect(values["b"] == .string("query"))
        #expect(values["c"] == .string("body"))
        #expect(values["d"] == nil)
        #expect(values["vid"] == .string("cookie-vid"))
        #expect(values["sid"] == .string("cookie-sid"))
        #expect(values["uid"] == .string("u1"))
        #expect(values["cflags"] == .number(42))
    }

    @Test func textPlainAndFormBodiesAreAccepted() throws {
        let json = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(#"{"ename":"x"}"#.utf8), contentType: "text/plain;charset=UTF-8")
        #expect(try parser.parse(json)[0]["ename"] == .string("x"))
        let form = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array("ename=y&utm_source=z".utf8),
                          contentType: "application/x-www-form-urlencoded")
        let values = try parser.parse(form)[0]
        #expect(values["ename"] == .string("y"))
        #expect(values["source"] == .string("z"))
    }

    @Test func arrayBodyIsABatchSharingTheRequestsValues() throws {
        let hit = RawHit(route: .str, method: "POST", path: "/str/v1/", body: Array(#"[{"ename":"a"},{"ename":"b"}]"#.utf8),
                         cookies: ["vid": "v"])
        let events = try parser.parse(hit)
        #expect(events.map { $0["ename"] } == [.string("a"), .string("b")])
        #expect(events.allSatisfy { $0["vid"] == .string("v") })
    }

    @Test(arguments: [
        (#"{bad"#, DropReason.malformedJSON),
        (#"[]"#, .malformedJSON),
        (#"[1]"#, .malformedJSON),
        (#""text""#, .malformedJSON),
        (#"{"a":"\#(String(repeating: "x", count: 9000))"}"#, .valueTooLong),
        (#"{"url":"\#(String(repeating: "x", count: 9000))"}"#, .valueTooLong),
        (#"{"params":{"k":"\#(String(repeating: "x", count: 9000))"}}"#, .valueTooLong),
        (#"{"\#(String(repeating: "k", count: 300))":1}"#, .valueTooLong),
    ])
    func badBodiesAreRejectedWithAReason(_ body: String, _ reason: DropReason) {
        let hit = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(body.utf8), contentType: "application/json")
        #expect { try parser.parse(hit) } throws: { ($0 as? Rejection)?.reason == reason }
    }

    @Test func tooManyFieldsOrEventsAreRejected() {
        let limited = HitParser(limits: HitLimits(maxFields: 3, maxBatchEvents: 2))
        let fields = RawHit(route: .tr, method: "POST", path: "/", body: Array(#"{"a":1,"b":2,"params":{"c":3,"d":4}}"#.utf8))
        #expect { try limited.parse(fields) } throws: { ($0 as? Rejection)?.reason == .tooManyFields }
        let batch = RawHit(route: .tr, method: "POST", path: "/", body: Array(#"[{},{},{}]"#.utf8))
        #expect { try limited.parse(batch) } throws: { ($0 as? Rejection)?.reason == .tooManyEvents }
    }

    /// Query strings and form bodies read from their bytes (keys rewritten on the stack) give what
    /// the plain reading gives: split as strings, decoded, each key through `queryKey`, on 3 000
    /// random strings with escapes, `+`, upper case, non-ASCII, stray `%` and empty parts.
    @Test func queryKeysReadFromBytesAgreeWithTheStringReading() throws {
        let pieces = ["utm_", "UTM_", "Utm_", "utm", "_", "source", "Source", "ename", "content", "a", "B", "=", "&", "&&", "%41",
                      "%", "%4", "+", "é", "%C3%A9", "%FF", "%75tm_", "vid", "x1", "ü=", "%3D", "%26"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...12)).map { _ in pieces.randomElement()! }.joined()
            // The reference splits the text as strings and decodes with the Substring decoder.
            let pairs = text.split(separator: "&").map { part in
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (PercentDecoding.decode(kv[0], plusIsSpace: true), kv.count > 1 ? PercentDecoding.decode(kv[1], plusIsSpace: true) : "")
            }
            #expect(PercentDecoding.queryPairs(text).map { "\($0.0)=\($0.1)" } == pairs.map { "\($0.0)=\($0.1)" }, "\(text)")
            var reference = HitValues()
            for (key, value) in pairs where !key.isEmpty { reference[HitParser.queryKey(key)] = .string(value) }
            HitParser.liftContent(&reference)
            let query = try parser.parse(RawHit(route: .img, path: "/img/v1/", tuplets: "/", query: text))[0]
            #expect(query == reference, "\(text)")
            let form = try parser.parse(RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(text.utf8),
                                               contentType: "application/x-www-form-urlencoded"))[0]
            if text.first != "{" && text.first != "[" { #expect(form == reference, "form \(text)") }
        }
    }

    @Test func queryPairsDecodeKeysAndValues() {
        let pairs = PercentDecoding.queryPairs("a=1&&b&c%3D=x+y%20z&=e&%FF=%")
        #expect(pairs.map(\.0) == ["a", "b", "c=", "", "\u{FFFD}"])
        #expect(pairs.map(\.1) == ["1", "", "x y z", "e", "%"])
    }
}

@Suite struct HitParserUpstreamFixTests {
    let parser = HitParser(limits: HitLimits())

    @Test func theUserCookieIsReadWhenThereIsNoUserHeader() throws {
        let cookie = "%7B%22uid%22%3A%2242%22%7D"
        let fromCookie = RawHit(route: .tr, path: "/tr/v1/", cookies: ["user": cookie])
        #expect(try parser.parse(fromCookie)[0]["uid"] == .string("42"))
        let headerWins = RawHit(route: .tr, path: "/tr/v1/", cookies: ["user": cookie], userHeader: #"{"uid":"7"}"#)
        #expect(try parser.parse(headerWins)[0]["uid"] == .string("7"))
    }

    @Test(arguments: [TrackRoute.img, .rdr, .pub])
    func pixelsRedirectsAndFilesIgnoreBodies(_ route: TrackRoute) throws {
        let hit = RawHit(route: route, method: "POST", path: "/", body: Array("{not json".utf8))
        #expect(try parser.parse(hit)[0].isEmpty)
    }

    /// A hit's cookies hold the four names a hit reads, exactly as named (cookie names are
    /// case-sensitive), the first of each winning; other names are ignored.
    @Test func hitCookiesKeepTheFourNamesOnly() {
        let cookies: HitCookies = ["vid": "v1", "VID": "x", "sid": "s", "vid": "v2", "CookieConsent": "7", "user": "u", "other": "o"]
        #expect(cookies == HitCookies(vid: "v1", sid: "s", consent: "7", user: "u"))
        #expect(cookies["other"] == nil && cookies["cookieconsent"] == nil && cookies["CookieConsent"] == "7")
        #expect(HitCookies(["sid": "a", "x": "b"]) == HitCookies(vid: nil, sid: "a"))
        for name in HitCookies.names {
            var bytes = Array(name.utf8)
            #expect(bytes.withUnsafeBufferPointer { HitCookies.name(of: $0) } != nil)
            bytes[0] ^= 0x20
            #expect(bytes.withUnsafeBufferPointer { HitCookies.name(of: $0) } == nil)
        }
    }
}
