import Foundation
import Testing
import TrackerTesting
@testable import TrackerCore

/// Do-Not-Track, Global Privacy Control and the tracker's own `cookieless` flag: no client identity
/// is kept, no cookie is set, and the daily hash counts visitors without following them.
@Suite struct CookielessTests {
    let clock = FixedClock()
    let sessions = SessionTracker()
    let key = IPHashKey(bytes: Array(repeating: 7, count: 32))

    func process(_ body: String, signal: Bool = false, ip: String = "203.0.113.7", agent: String = "Mozilla/5.0 A",
                 host: String = "shop.example.com", cookies: HitCookies = [:], requireConsent: Bool = false,
                 route: TrackRoute = .tr) throws -> ProcessedEvent {
        let hit = RawHit(route: route, method: "POST", path: "/\(route.rawValue)/v1/", body: Array(body.utf8), cookies: cookies,
                         userAgent: agent, requestHost: host, clientIP: ip, privacySignal: signal)
        let pipeline = EventPipeline(configuration: PipelineConfiguration(ipHashKey: key, requireConsent: requireConsent),
                                     sessions: sessions, clock: clock, random: CountingRandom())
        return try pipeline.process(HitParser(limits: HitLimits()).parse(hit)[0], hit: hit)
    }

    @Test func aPrivacySignalDropsTheClientsIdsAndSetsNoCookie() throws {
        let sent = #"{"vid":"3d0be300-cbd2-11e8-aa59-ffd128a54d91","sid":"3d0be301-cbd2-11e8-aa59-ffd128a54d91","ename":"view"}"#
        let event = try process(sent, signal: true, cookies: ["vid": "3d0be300-cbd2-11e8-aa59-ffd128a54d91"])
        #expect(event.event[.vid] != "3d0be300-cbd2-11e8-aa59-ffd128a54d91")
        #expect(event.event[.sid] != "3d0be301-cbd2-11e8-aa59-ffd128a54d91")
        #expect(event.setsVisitorCookie == false)
        #expect(event.event.params["cookieless"] == "true")
        #expect(event.event[.ename] == "view")
        let vid = try #require(event.event[.vid])
        #expect(TimeUUID.parse(vid).map(TimeUUID.version) == 8)
    }

    @Test func theFlagFromTheTrackerDoesTheSame() throws {
        let event = try process(#"{"cookieless":true,"vid":"3d0be300-cbd2-11e8-aa59-ffd128a54d91"}"#)
        #expect(event.event[.vid] != "3d0be300-cbd2-11e8-aa59-ffd128a54d91")
        #expect(event.setsVisitorCookie == false)
        #expect(try process(#"{"cookieless":"no"}"#).setsVisitorCookie == true, "only a true flag counts")
    }

    @Test func theSameVisitorIsOneVisitorForADayAndOneSession() throws {
        let first = try process("{}", signal: true)
        clock.advance(by: 600)
        let second = try process("{}", signal: true)
        #expect(first.event[.vid] == second.event[.vid])
        #expect(first.event[.sid] == second.event[.sid], "the session is derived, not minted per hit")
        #expect(try process("{}", signal: true, ip: "203.0.113.8").event[.vid] != first.event[.vid])
        #expect(try process("{}", signal: true, agent: "Other/1").event[.vid] != first.event[.vid])
        #expect(try process("{}", signal: true, host: "blog.example.com").event[.vid] != first.event[.vid], "sites do not share ids")
        clock.advance(by: 86_400)
        #expect(try process("{}", signal: true).event[.vid] != first.event[.vid], "the next day is a new id")
    }

    @Test func requiredConsentIsEnforcedOnTheServer() throws {
        let vid = "3d0be300-cbd2-11e8-aa59-ffd128a54d91"
        let without = try process(#"{"vid":"\#(vid)"}"#, requireConsent: true)
        #expect(without.event[.vid] != vid && without.setsVisitorCookie == false)
        let refused = try process(#"{"vid":"\#(vid)"}"#, cookies: ["CookieConsent": "0"], requireConsent: true)
        #expect(refused.event[.vid] != vid)
        let given = try process(#"{"vid":"\#(vid)"}"#, cookies: ["CookieConsent": "3"], requireConsent: true)
        #expect(given.event[.vid] == vid && given.event[.cflags] == 3)
        #expect(try process(#"{"vid":"\#(vid)"}"#, requireConsent: true, route: .str).event[.vid] == vid,
                "server-side events are the operator's own: not a browser to ask")
    }

    @Test func theKeyIsSecret() {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let a = CookielessVisitor.id(key: key, at: at, site: "s", clientIP: "1.2.3.4", userAgent: "u")
        let b = CookielessVisitor.id(key: IPHashKey(bytes: Array(repeating: 8, count: 32)), at: at, site: "s", clientIP: "1.2.3.4", userAgent: "u")
        #expect(a != b)
    }
}
