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
}
