import Foundation
import Synchronization
import NATSClient
import Testing
import TrackerConfig
import TrackerCore
import TrackerStorage
import TrackerTesting

/// Ingest nodes that acknowledge once JetStream has an event, writer nodes that move events from
/// the stream into the store.
@Suite(.serialized, .enabled(if: NATSServerProcess.isAvailable, Comment(rawValue: NATSServerProcess.skipMessage)))
struct ScaleOutTests {
    static func node(_ urls: [String], role: String, replicas: Int = 1, data: String? = nil,
                     _ adjust: @escaping (inout TrackerConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        try await RunningServer.start { configuration in
            var bus = NATSConfiguration(servers: urls)
            bus.role = role
            bus.jetStream = true
            bus.stream = "EVENTS"
            bus.streamReplicas = replicas
            bus.consume = false
            configuration.nats = bus
            if let data { configuration.dataDirectory = data }
            adjust(&configuration)
        }
    }

    /// Until the stream exists (a node creates it at start).
    static func streamReady(_ urls: [String]) async throws {
        let client = try await NATSConnection.connect(NATSOptions(servers: urls))
        defer { Task { await client.close() } }
        for _ in 0..<600 {
            if (try? await JetStream(client).streamInfo("EVENTS")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the stream was never made")
        throw CancellationError()
    }

    /// Server events through `/str/`, which answers each acknowledged event's id.
    static func send(_ node: RunningServer, _ count: Int, tag: String) throws -> [String] {
        var acknowledged: [String] = []
        for i in 0..<count {
            let response = try node.client.post("/str/v1/", body: "{\"ename\":\"\(tag)-\(i)\",\"url\":\"https://shop.example/\(i)\"}")
            if response.status == 200, let eid = response.json?["eid"] as? String { acknowledged.append(eid) }
        }
        return acknowledged
    }

    @Test func ingestNodesAcknowledgeThroughJetStreamAndWritersStore() async throws {
        let nats = try NATSServerProcess()
        try await nats.start()
        let writer = try await Self.node([nats.url], role: "writer")
        let ingest = try await Self.node([nats.url], role: "ingest")
        try await Self.streamReady([nats.url])
        let acknowledged = try Self.send(ingest, 40, tag: "e")
        #expect(acknowledged.count == 40)
        let stored = try await writer.events(atLeast: 40)
        #expect(Set(stored.map(\.eid)) == Set(acknowledged))
        #expect(stored.count == 40)
        // The ingest node keeps nothing itself.
        #expect(try await ingest.server.store.events(EventQuery()).isEmpty)
        // The writer counts a batch once it is acknowledged, just after the store has it.
        var counted = 0
        for _ in 0..<100 where counted < 40 {
            counted = (try writer.client.get("/status").json?["nats_writer"] as? [String: Any])?["stored_events"] as? Int ?? 0
            if counted < 40 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(counted == 40)
        // Without JetStream an ingest node refuses (503) rather than acknowledge what it cannot keep.
        nats.stop()
        let refused = try ingest.client.post("/str/v1/", body: "{\"ename\":\"lost\"}")
        #expect(refused.status == 503)
        try await ingest.stop()
        try await writer.stop()
    }

    static var postgres: String? { ProcessInfo.processInfo.environment["TRACKER_TEST_POSTGRES_URL"] }

    static func psql(_ url: String, _ sql: String) throws -> [String] {
        try Shell.run("/usr/bin/psql", [url, "-Atqc", sql]).split(separator: "\n").map(String.init)
    }

    /// The scale story, for real: a 3-node JetStream cluster (replicas 3), two ingest nodes, two
    /// writer processes sharing PostgreSQL; mid-burst one NATS node and one writer are killed.
    /// Every acknowledged event ends up stored exactly once.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TRACKER_TEST_POSTGRES_URL"] != nil,
                   "needs TRACKER_TEST_POSTGRES_URL (scripts/test.sh starts PostgreSQL)"))
    func everyAcknowledgedEventIsStoredOnceThroughNodeAndWriterCrashes() async throws {
        let cluster = try NATSClusterProcess()
        try await cluster.start()
        let base = try #require(Self.postgres)
        let database = "tracker_scale_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try Self.psql(base, "CREATE DATABASE \(database)")
        var parts = URLComponents(string: base)!
        parts.path = "/" + database
        let url = parts.string!
        defer { _ = try? Self.psql(base, "DROP DATABASE \(database) WITH (FORCE)") }

        let configuration = cluster.directory.file("writer.json")
        let servers = cluster.urls.map { "\"\($0)\"" }.joined(separator: ", ")
        try """
            {"StorageBackend": "postgres", "PostgresURL": "\(url)",
             "NATS": {"Servers": [\(servers)], "Role": "writer", "Stream": "EVENTS", "StreamReplicas": 3, "Consume": false,
                      "WriterAckWait": "3s", "WriterBatch": 50}}
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let dataDirectories = [TemporaryDirectory("writer-a"), TemporaryDirectory("writer-b")]
        defer { dataDirectories.forEach { $0.remove() } }
        let writers = try dataDirectories.map { try TrackerProcess.start(data: $0.path, arguments: ["--config", configuration]) }
        let ingest = [try await Self.node(cluster.urls, role: "ingest", replicas: 3),
                      try await Self.node(cluster.urls, role: "ingest", replicas: 3)]
        try await Self.streamReady(cluster.urls)

        // Two clients, one per ingest node, 300 events each; once 200 are acknowledged a NATS node
        // and a writer die, and the burst goes on.
        let progress = Progress()
        let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, node) in ingest.enumerated() {
                let client = node.client
                group.addTask {
                    try await OwnThread.run {
                        var ids: [String] = []
                        // A bound on the whole burst, so a broken cluster fails the test, not CI's patience.
                        let giveUp = Date().addingTimeInterval(120)
                        for i in 0..<300 where Date() < giveUp {
                            // As a real client does: a refused event (503 while the cluster elects
                            // new leaders) is sent again, for up to 10 s.
                            for _ in 0..<40 {
                                if let response = try? client.post("/str/v1/", body: "{\"ename\":\"n\(index)-\(i)\"}"),
                                   response.status == 200, let eid = response.json?["eid"] as? String {
                                    ids.append(eid)
                                    progress.count.add(1, ordering: .relaxed)
                                    break
                                }
                                Thread.sleep(forTimeInterval: 0.25)
                            }
                        }
                        return ids
                    }
                }
            }
            let victim = writers[0]
            group.addTask {
                while progress.count.load(ordering: .relaxed) < 200 { try await Task.sleep(for: .milliseconds(5)) }
                cluster.kill(0)
                victim.kill9()
                progress.killedAt.store(progress.count.load(ordering: .relaxed), ordering: .relaxed)
                return []
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(acknowledged.count > 500)
        // The crashes happened mid-burst, with events still to come.
        #expect(progress.killedAt.load(ordering: .relaxed) < acknowledged.count - 100)

        // Redelivery of what the dead writer held comes after WriterAckWait.
        var stored: [String] = []
        for _ in 0..<300 {
            stored = (try? Self.psql(url, "SELECT eid FROM events")) ?? []
            if Set(stored).isSuperset(of: acknowledged) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(Set(stored).isSuperset(of: Set(acknowledged)), "missing \(Set(acknowledged).subtracting(stored).count)")
        #expect(stored.count == Set(stored).count)
        for node in ingest { try await node.stop() }
        writers[1].terminate()
        cluster.stop()
    }
}

final class Progress: Sendable {
    let count = Atomic(0)
    let killedAt = Atomic(0)
}
