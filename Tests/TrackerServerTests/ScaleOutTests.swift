import Foundation
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
        for _ in 0..<200 {
            if (try? await JetStream(client).streamInfo("EVENTS")) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the stream was never made")
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
        let status = try #require(try writer.client.get("/status").json?["nats_writer"] as? [String: Any])
        #expect(status["stored_events"] as? Int == 40)
        // Without JetStream an ingest node refuses (503) rather than acknowledge what it cannot keep.
        nats.stop()
        let refused = try ingest.client.post("/str/v1/", body: "{\"ename\":\"lost\"}")
        #expect(refused.status == 503)
        try await ingest.stop()
        try await writer.stop()
    }
}
