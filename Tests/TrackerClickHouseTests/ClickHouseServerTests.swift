import Foundation
import Testing
import TrackerClickHouse
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The whole server with ClickHouse as its store, fed through the local spool: two tracker nodes
/// on one database, as when scaling out, sessions restored from ClickHouse after a restart.
@Suite(.serialized, .enabled(if: ClickHouseTestServer.url != nil, Comment(rawValue: ClickHouseTestServer.skipMessage)))
struct ClickHouseServerTests {
    func node(_ url: String) async throws -> RunningServer {
        try await RunningServer.start { config in
            config.storageBackend = "clickhouse"
            config.clickHouseURL = url
            config.ipHashSecret = "shared by every node of the test"
        }
    }

    @Test func twoNodesWriteToOneDatabaseAndSessionsSurviveARestart() async throws {
        try await ClickHouseTestServer.withFreshStore { _, url in
            let first = try await node(url)
            let second = try await node(url)
            #expect(try first.client.post("/str/v1/", body: #"{"ename":"from_one","rel":1,"plan":"pro","seats":3}"#).status == 200)
            #expect(try second.client.post("/str/v1/", body: #"{"ename":"from_two"}"#).status == 200)
            _ = try first.client.get("/img/v1/", headers: ["Cookie": "vid=reader"])
            let events = try await first.events(atLeast: 3)
            #expect(events.count == 3)
            let one = try #require(events.first { $0[.ename] == "from_one" })
            #expect(one[.rel] == "1" && one.params["plan"] == "pro" && one.nparams["seats"] == 3)
            #expect(Set(events.compactMap { $0[.iphash] }).count == 1)
            let sinks = try #require(try first.client.get("/status").json?["sinks"] as? [[String: Any]])
            #expect(sinks.first?["name"] as? String == "clickhouse" && sinks.first?["state"] as? String == "ok")
            let sid = try #require(events.first { $0[.vid] == "reader" }?[.sid])
            try await first.stop()
            try await second.stop()

            let restarted = try await node(url)
            #expect(try restarted.client.get("/img/v1/", headers: ["Cookie": "vid=reader"]).status == 200)
            let sids = try await restarted.events(atLeast: 4).filter { $0[.vid] == "reader" }.compactMap { $0[.sid] }
            #expect(sids == [sid, sid])
            try await restarted.stop()
        }
    }
}

/// ClickHouse killed in the middle of a burst and started again seconds later, on its own data:
/// tracking goes on answering, `/status` shows the sink failing with its lag, and afterwards every
/// acknowledged event is in ClickHouse exactly once.
@Suite(.serialized, .enabled(if: ClickHouseProcess.isInstalled, "needs Debian's clickhouse-server (apt-get install clickhouse-server)"))
struct ClickHouseOutageTests {
    @Test func anOutageOnlyDelaysDelivery() async throws {
        let clickhouse = try ClickHouseProcess()
        defer { clickhouse.remove() }
        try await clickhouse.start()
        let url = clickhouse.url + "/outage"
        let server = try await RunningServer.start { config in
            config.storageBackend = "clickhouse"
            config.clickHouseURL = url
            config.clickHouseFlushSeconds = 0.05
        }
        do {
            try await OutageScenario.run(server, kill: { clickhouse.stop() }, restart: { try await clickhouse.start() }, reader: try ClickHouseEventStore(url: url))
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}

