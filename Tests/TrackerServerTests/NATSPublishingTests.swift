import Foundation
import NATSClient
import Testing
import TrackerConfig
import TrackerStorage
import TrackerTesting

/// Events published to NATS by a running tracker, read by our client and by nats-py.
@Suite(.enabled(if: NATSServerProcess.isAvailable, Comment(rawValue: NATSServerProcess.skipMessage)))
struct NATSPublishingTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("subscribe.py").path

    static func tracker(_ nats: NATSServerProcess, _ adjust: (inout NATSConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        try await RunningServer.start { configuration in
            var bus = NATSConfiguration(servers: [nats.url])
            adjust(&bus)
            configuration.nats = bus
        }
    }

    /// Until `/status` says the tracker's NATS connection is up (5 s at most).
    static func connected(_ server: RunningServer) async throws {
        for _ in 0..<250 {
            let nats = try server.client.get("/status").json?["nats"] as? [String: Any]
            if nats?["state"] as? String == "connected" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func track(_ server: RunningServer, _ names: [String]) throws {
        for name in names {
            let response = try server.client.post("/tr/v1/", body: "{\"ename\":\"\(name)\",\"etyp\":\"conversion\",\"url\":\"https://shop.example/\(name)\"}")
            #expect(response.status == 200)
        }
    }

    @Test func everyEventIsPublishedAsJSONOnTheGoTrackersSubject() async throws {
        let nats = try NATSServerProcess()
        try await nats.start()
        let reader = try await NATSConnection.connect(NATSOptions(servers: [nats.url]))
        let subscription = try reader.subscribe("toc.track.>")
        try await reader.flush()
        let server = try await Self.tracker(nats)
        try await Self.connected(server)
        try Self.track(server, ["signup", "purchase"])
        var events: [[String: Any]] = []
        for _ in 0..<2 {
            let message = try #require(try await NATSTesting.next(subscription))
            #expect(message.subject == "toc.track.notify")
            events.append(try #require(try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any]))
        }
        #expect(events.map { $0["ename"] as? String } == ["signup", "purchase"])
        #expect(events.allSatisfy { ($0["eid"] as? String)?.count == 36 && $0["etyp"] as? String == "conversion" && $0["created"] is String })
        let stored = try await server.events(atLeast: 2)
        #expect(Set(stored.map(\.eid)) == Set(events.compactMap { $0["eid"] as? String }))
        let status = try #require(try server.client.get("/status").json?["nats"] as? [String: Any])
        #expect(status["published_events"] as? Int == 2)
        try await server.stop()
        await reader.close()
    }

    @Test func aNATSPySubscriberReadsTheDocumentedFieldsPerEventType() async throws {
        guard NATSTesting.pythonClient else { return }
        let nats = try NATSServerProcess()
        try await nats.start()
        let server = try await Self.tracker(nats) { $0.subjectPerType = true }
        let output = server.directory.file("python.out")
        let python = try ChildProcess("/usr/bin/env", ["python3", Self.script, nats.url, "toc.track.notify.>", "2"], stdout: output,
                                      stderr: server.directory.file("python.err"))
        for _ in 0..<200 where !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("ready") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try Self.track(server, ["a", "b"])
        #expect(try await OwnThread.run { python.wait() } == 0)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").dropFirst()
        let received = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(received.map { $0["subject"] as? String } == ["toc.track.notify.conversion", "toc.track.notify.conversion"])
        let events = received.compactMap { $0["event"] as? [String: Any] }
        #expect(events.map { $0["ename"] as? String } == ["a", "b"])
        // Stored as upstream stores URLs: without the scheme.
        #expect(events.map { $0["url"] as? String } == ["//shop.example/a", "//shop.example/b"])
        try await server.stop()
    }

    @Test func jetStreamPublishesAreStoredInTheStreamOncePerEvent() async throws {
        let nats = try NATSServerProcess()
        try await nats.start()
        let server = try await Self.tracker(nats) {
            $0.jetStream = true
            $0.stream = "EVENTS"
        }
        let reader = try await NATSConnection.connect(NATSOptions(servers: [nats.url]))
        let js = JetStream(reader)
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await js.streamInfo("EVENTS")) != nil
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready)
        try Self.track(server, ["one", "two", "three"])
        var messages = 0
        for _ in 0..<100 where messages < 3 {
            messages = try await js.streamInfo("EVENTS").state.messages
            if messages < 3 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(messages == 3)
        try await server.stop()
        await reader.close()
    }

    @Test func eventsWaitForNATSWhenItIsDownAtStart() async throws {
        let nats = try NATSServerProcess()
        // Not started yet: the tracker starts anyway and keeps its publishes.
        let server = try await Self.tracker(nats)
        try Self.track(server, ["early"])
        let stored = try await server.events(atLeast: 1)
        #expect(stored.count == 1)
        let status = try #require(try server.client.get("/status").json?["nats"] as? [String: Any])
        #expect(status["state"] as? String == "reconnecting")
        #expect((status["pending_bytes"] as? Int ?? 0) > 0)

        try await nats.start()
        let reader = try await NATSConnection.connect(NATSOptions(servers: [nats.url]))
        let subscription = try reader.subscribe("toc.track.notify")
        try await reader.flush()
        // The held event goes out once the tracker has reconnected, before the ones after it.
        try await Self.connected(server)
        try Self.track(server, ["later"])
        var names: [String] = []
        while names.count < 2, let message = try await NATSTesting.next(subscription) {
            names.append(((try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any])?["ename"] as? String) ?? "")
        }
        // The subscriber may have joined after the held event went out; never a later one first.
        #expect(names == ["early", "later"] || names == ["later"])
        try await server.stop()
        await reader.close()
    }

    @Test func ticMessagesAreStoredAndMalformedOnesCounted() async throws {
        let nats = try NATSServerProcess()
        try await nats.start()
        let server = try await Self.tracker(nats)
        try await Self.connected(server)
        let sender = try await NATSConnection.connect(NATSOptions(servers: [nats.url]))
        // The tracker's queue subscriptions are registered once its connection is up; a little
        // later for the consumer service, so publish until the first counts.
        var counted = 0
        for _ in 0..<100 where counted == 0 {
            try sender.publish("tic.count.probe", payload: Array("{}".utf8))
            try await sender.flush()
            try await Task.sleep(for: .milliseconds(150))
            let store = try #require(server.server.store as? any ServerMessageStore)
            counted = try await store.counters()["tic.count.probe"] ?? 0
        }
        for _ in 0..<3 { try sender.publish("tic.count.signup", payload: Array("{}".utf8)) }
        try sender.publish("tic.update.deploy", payload: Array(#"{"msg":"deployed v2","updated":"1597968000000"}"#.utf8))
        try sender.publish("tic.log.api", payload: Array(#"{"topic":"api","level":3,"msg":"boom","params":"{\"k\":\"v\"}"}"#.utf8))
        try sender.publish("tic.count.signup", payload: Array("not json".utf8))
        try await sender.flush()
        let store = try #require(server.server.store as? any ServerMessageStore)
        var counters: [String: Int] = [:]
        for _ in 0..<100 where counters["tic.count.signup"] != 3 {
            try await Task.sleep(for: .milliseconds(50))
            counters = try await store.counters()
        }
        #expect(counters["tic.count.signup"] == 3)
        for _ in 0..<50 where try await store.logs(limit: 10).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await store.updates().map(\.msg) == ["deployed v2"])
        let logs = try await store.logs(limit: 10)
        #expect(logs.map(\.msg) == ["boom"] && logs.first?.level == 3 && logs.first?.params == #"{"k":"v"}"#)
        let consumer = try #require(try server.client.get("/status").json?["nats_consumer"] as? [String: Any])
        #expect(consumer["malformed_messages"] as? Int == 1)
        await sender.close()
        try await server.stop()
    }
}
