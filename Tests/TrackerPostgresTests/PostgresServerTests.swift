import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The whole server with PostgreSQL as its store: two tracker nodes on one database, as when
/// scaling out.
@Suite(.serialized, .enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipMessage)))
struct PostgresServerTests {
    @Test func twoNodesWriteToOneDatabaseAndSessionsSurviveARestart() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            func node() async throws -> RunningServer {
                try await RunningServer.start { config in
                    config.storageBackend = "postgres"
                    config.postgresURL = url
                    config.ipHashSecret = "shared by every node of the test"
                    config.prefixPrivateHash = "shared salt"
                }
            }
            let first = try await node()
            let second = try await node()
            let one = try first.client.post("/str/v1/", body: #"{"ename":"from_one","rel":1}"#)
            let two = try second.client.post("/str/v1/", body: #"{"ename":"from_two"}"#)
            #expect(one.status == 200 && two.status == 200)
            _ = try first.client.get("/img/v1/", headers: ["Cookie": "vid=reader"])
            let events = try await first.server.store.events(EventQuery())
            // Both nodes hash the same client the same way.
            #expect(Set(events.compactMap { $0[.iphash] }).count == 1)
            #expect(Set(events.compactMap { $0[.ename] }) == ["from_one", "from_two"])
            #expect(events.first { $0[.ename] == "from_one" }?[.rel] == "1")
            let status = try first.client.get("/status")
            #expect((status.json?["sinks"] as? [[String: Any]])?.first?["name"] as? String == "postgres")
            let sid = try #require(events.first { $0[.vid] == "reader" }?[.sid])
            try await first.stop()
            try await second.stop()

            let restarted = try await node()
            let pixel = try restarted.client.get("/img/v1/", headers: ["Cookie": "vid=reader"])
            #expect(pixel.status == 200)
            let all = try await restarted.server.store.events(EventQuery())
            #expect(all.count == 4, "\(all.map { ($0[.ename], $0[.vid]) })")
            let sids = all.filter { $0[.vid] == "reader" }.compactMap { $0[.sid] }
            #expect(sids == [sid, sid])
            try await restarted.stop()
        }
    }
}
