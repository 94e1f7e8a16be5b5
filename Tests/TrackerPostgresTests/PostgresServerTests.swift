import Foundation
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The whole server with PostgreSQL as its store, fed through the local spool: several tracker
/// nodes on one database, as when scaling out, and a database that is down.
@Suite(.serialized, .enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipMessage)))
struct PostgresServerTests {
    func node(_ url: String, data: String? = nil) async throws -> RunningServer {
        try await RunningServer.start { config in
            config.shortLinkHosts = ["go.example.com"]
            config.storageBackend = "postgres"
            config.postgresURL = url
            config.ipHashSecret = "shared by every node of the test"
            config.prefixPrivateHash = "shared salt"
            if let data { config.dataDirectory = data }
        }
    }

    @Test func twoNodesWriteToOneDatabaseAndSessionsSurviveARestart() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            let first = try await node(url)
            let second = try await node(url)
            let one = try first.client.post("/str/v1/", body: #"{"ename":"from_one","rel":1}"#)
            let two = try second.client.post("/str/v1/", body: #"{"ename":"from_two"}"#)
            #expect(one.status == 200 && two.status == 200)
            _ = try first.client.get("/img/v1/", headers: ["Cookie": "vid=reader"])
            let events = try await first.events(atLeast: 3)
            #expect(Set(events.compactMap { $0[.ename] }) == ["from_one", "from_two"])
            #expect(events.first { $0[.ename] == "from_one" }?[.rel] == "1")
            // Both nodes hash the same client the same way.
            #expect(Set(events.compactMap { $0[.iphash] }).count == 1)
            let sinks = try #require(try first.client.get("/status").json?["sinks"] as? [[String: Any]])
            #expect(sinks.first?["name"] as? String == "postgres")
            #expect(sinks.first?["state"] as? String == "ok")
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

    /// A link made through one node is followed through another, and both nodes' hits add up.
    @Test func nodesShareShortLinksAndTheirCounts() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            let first = try await node(url)
            let second = try await node(url)
            let key = LinkCredentials.newKey(random: SystemRandomSource())
            let store = try #require(first.server.application.shortLinks?.store)
            try await store.saveKey(APIKey(id: key.id, secretHash: key.secretHash, name: "", sites: ["go.example.com"], created: Date()))
            let created = try second.client.send("POST", "/rpi/v1/links", headers: ["Authorization": "Bearer \(key.token)"],
                                                 body: Array(#"{"host":"go.example.com","slug":"pg","target":"https://a.example/"}"#.utf8))
            #expect(created.status == 201, "\(created.text)")
            for server in [first, second, first] {
                #expect(try server.client.get("/PG", headers: ["Host": "go.example.com"]).header("location") == "https://a.example/")
            }
            await first.server.application.shortLinks?.flushHits()
            await second.server.application.shortLinks?.flushHits()
            #expect(try await store.links(hosts: ["go.example.com"]).first?.hits == 3)
            try await first.stop()
            try await second.stop()
        }
    }

    /// The database does not exist yet when the node starts and takes events: they wait in the
    /// spool (health stays 200, status says failing) and arrive once it does.
    @Test func eventsWaitInTheSpoolUntilTheDatabaseIsThere() async throws {
        let base = try #require(PostgresTestServer.url)
        let name = "tracker_late_\(UUID().uuidString.prefix(8).lowercased())"
        var parts = try #require(URLComponents(string: base))
        parts.path = "/" + name
        let url = try #require(parts.string)
        let server = try await node(url)
        for n in 0..<5 {
            #expect(try server.client.post("/str/v1/", body: #"{"ename":"early","n":\#(n)}"#).status == 200)
        }
        // The store gives up on an operation after 5 s: then the sink reports failing.
        var state: String?
        for _ in 0..<100 where state != "failing" {
            try await Task.sleep(for: .milliseconds(100))
            state = (try server.client.get("/status").json?["sinks"] as? [[String: Any]])?.first?["state"] as? String
        }
        #expect(state == "failing")
        #expect(try server.client.get("/health").status == 200)
        try await PostgresTestServer.admin(base, "CREATE DATABASE \(name)")
        var delivered: [Event] = []
        for _ in 0..<400 where delivered.count < 5 {
            try await Task.sleep(for: .milliseconds(25))
            delivered = (try? await server.server.store.events(EventQuery())) ?? []
        }
        #expect(delivered.count == 5)
        try await server.stop()
        try await PostgresTestServer.admin(base, "DROP DATABASE \(name) WITH (FORCE)")
    }
}

/// PostgreSQL killed in the middle of a burst and started again on its data: tracking keeps
/// answering, `/status` shows the sink failing with its lag, and afterwards every acknowledged
/// event is stored exactly once.
@Suite(.serialized, .enabled(if: PostgresProcess.isAvailable, "needs root and Debian's postgresql-15 to run a server of its own"))
struct PostgresOutageTests {
    @Test func anOutageOnlyDelaysDelivery() async throws {
        let postgres = try PostgresProcess()
        defer { postgres.remove() }
        try await postgres.start()
        let server = try await RunningServer.start { config in
            config.storageBackend = "postgres"
            config.postgresURL = postgres.url
        }
        do {
            try await OutageScenario.run(server, kill: { postgres.stop() }, restart: { try await postgres.start() }, reader: server.server.store)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}

