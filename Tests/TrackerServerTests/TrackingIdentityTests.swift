import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// Who a hit is, over HTTP to the real server: sessions, client addresses through proxies, and
/// privacy signals.
@Suite(.serialized) struct TrackingIdentityTests: TrackingServerSuite {
    /// A new visitor's session is not remembered by the server (its id is derived from the
    /// visitor's), yet the visitor's next hits, with its cookie, are in the same session.
    @Test func aNewVisitorsNextHitsShareItsSession() async throws {
        try await withServer { server in
            let first = try server.client.get("/img/v1/?utm_source=mail")
            let cookie = try #require(first.header("set-cookie")?.split(separator: ";").first.map(String.init))
            _ = try server.client.get("/img/v1/?utm_content=second", headers: ["Cookie": cookie])
            _ = try server.client.post("/tr/v1/", body: #"{"ename":"click"}"#, headers: ["Cookie": cookie])
            _ = try server.client.get("/img/v1/")
            let events = try await stored(server)
            #expect(events.count == 4)
            let visitor = events.filter { "vid=\($0[.vid] ?? "")" == cookie }
            #expect(visitor.count == 3 && Set(visitor.map { $0[.sid] }).count == 1, "\(events.map { ($0[.vid], $0[.sid]) })")
            #expect(visitor.first?[.sid] != visitor.first?[.vid])
            #expect(events.filter { $0[.sid] == visitor.first?[.sid] }.count == 3, "another new visitor has its own session")
        }
    }

    @Test func sessionsSurviveARestart() async throws {
        let directory = TemporaryDirectory("restart")
        defer { directory.remove() }
        func start() async throws -> RunningServer {
            try await RunningServer.start { config in config.dataDirectory = directory.file("data") }
        }
        let first = try await start()
        _ = try first.client.get("/img/v1/", headers: ["Cookie": "vid=reader-1"])
        let before = try #require(try await first.server.store.events(EventQuery()).first?[.sid])
        await first.server.shutdown()
        let second = try await start()
        _ = try second.client.get("/img/v1/", headers: ["Cookie": "vid=reader-1"])
        let sids = try await second.server.store.events(EventQuery()).compactMap { $0[.sid] }
        #expect(sids == [before, before])
        try await second.stop()
    }

    @Test func forwardedHeadersCountOnlyFromTrustedProxies() async throws {
        try await withServer({ $0.storeRawIP = true }) { server in
            _ = try server.client.get("/tr/v1/", headers: ["X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"])
            let event = try #require(try await stored(server).first)
            #expect(event[.ip] == "127.0.0.1")
        }
        try await withServer({ config in
            config.storeRawIP = true
            config.trustedProxies = [IPNetwork("127.0.0.1")!]
        }) { server in
            let response = try server.client.get("/tr/v1/", headers: ["X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https",
                                                                      "Host": "tr.example.com"])
            #expect(response.header("set-cookie")?.contains("; Secure") == true)
            let event = try #require(try await stored(server).first)
            #expect(event[.ip] == "198.51.100.7")
            _ = try server.client.get("/tr/v1/ename/standard", headers: ["Forwarded": "for=198.51.100.8;proto=https"])
            #expect(try await stored(server).first { $0[.ename] == "standard" }?[.ip] == "198.51.100.8")
        }
    }

    @Test func noTableOrColumnHoldsTheClientIP() async throws {
        try await withServer { server in
            _ = try server.client.get("/tr/v1/ename/x/?email=a@b.com", headers: ["User-Agent": "UA"])
            _ = try server.client.post("/str/v1/", body: #"{"uname":"Ann","cell":"+15550100"}"#)
            _ = try server.client.get("/img/v1/")
            let dump = try Shell.run("sqlite3", [server.server.configuration.databasePath, ".dump"])
            #expect(dump.contains("INSERT INTO events"))
            for secret in ["127.0.0.1", "a@b.com", "Ann", "+15550100"] {
                #expect(!dump.contains(secret), "the store holds \(secret)")
            }
        }
    }

    /// `DNT: 1` and `Sec-GPC: 1` make the server count without identity (the headers alone, no
    /// flag from a script), unless the operator turns `HonorPrivacySignals` off.
    @Test func privacySignalsInHeadersMakeAHitCookieless() async throws {
        let vid = "3d0be300-cbd2-11e8-aa59-ffd128a54d91"
        try await withServer { server in
            for header in ["DNT", "Sec-GPC"] {
                let response = try server.client.post("/tr/v1/", body: #"{"vid":"\#(vid)","ename":"\#(header)"}"#,
                                                      contentType: "text/plain", headers: [header: "1"])
                #expect(response.status == 200 && response.header("set-cookie") == nil, "\(header)")
            }
            let events = try await server.events(atLeast: 2)
            #expect(events.count == 2 && events.allSatisfy { $0[.vid] != vid && $0.params["cookieless"] == "true" })
        }
        try await withServer({ $0.honorPrivacySignals = false }) { server in
            _ = try server.client.post("/tr/v1/", body: #"{"vid":"\#(vid)"}"#, headers: ["DNT": "1"])
            #expect(try await server.events(atLeast: 1).first?[.vid] == vid)
        }
    }
}
