import Foundation
import Testing
import NATSClient
import TrackerTesting

/// JetStream against a real nats-server with JetStream on.
@Suite(.enabled(if: NATSServerProcess.isAvailable, Comment(rawValue: NATSServerProcess.skipMessage)))
struct JetStreamTests {
    @Test(arguments: NATSServerProcess.binaries) func acknowledgedPublishesAreStoredOncePerMessageID(binary: String) async throws {
        let server = try NATSServerProcess(binary: binary)
        try await server.start()
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        #expect(nats.jetStreamAvailable)
        let js = JetStream(nats)
        var config = JetStream.StreamConfig(name: "EV", subjects: ["ev.>"])
        config.storage = "memory"
        let created = try await js.addOrUpdateStream(config)
        #expect(created.config.subjects == ["ev.>"])
        // Creating it again with another subject updates it.
        config.subjects = ["ev.>", "more.>"]
        #expect(try await js.addOrUpdateStream(config).config.subjects == ["ev.>", "more.>"])

        for i in 1...10 {
            let ack = try await js.publish("ev.pageview", payload: Array("{\"i\":\(i)}".utf8), messageID: "m\(i)")
            #expect(ack.stream == "EV" && ack.seq == i && ack.duplicate != true)
        }
        let again = try await js.publish("ev.pageview", payload: Array("{\"i\":10}".utf8), messageID: "m10")
        #expect(again.duplicate == true && again.seq == 10)
        #expect(try await js.streamInfo("EV").state.messages == 10)

        await #expect(throws: JetStream.APIError.self) { try await js.streamInfo("NOPE") }
        do {
            _ = try await js.publish("nostream.x", payload: [])
            Issue.record("a publish no stream takes was acknowledged")
        } catch let error as JetStream.APIError {
            #expect(error.code == 503)
        }
        await nats.close()
    }

    @Test(arguments: NATSServerProcess.binaries) func pullConsumersFetchInBatchesAndRedeliverWhatWasNotAcked(binary: String) async throws {
        let server = try NATSServerProcess(binary: binary)
        try await server.start()
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let js = JetStream(nats)
        var config = JetStream.StreamConfig(name: "WORK", subjects: ["work.>"])
        config.storage = "memory"
        _ = try await js.addOrUpdateStream(config)
        for i in 0..<7 { _ = try await js.publish("work.item", payload: Array("job-\(i)".utf8), messageID: "j\(i)") }
        var consumer = JetStream.ConsumerConfig(durable: "writer")
        // Long enough that nothing is redelivered for lateness on a loaded machine.
        consumer.ack_wait = 20_000_000_000
        _ = try await js.addOrUpdateConsumer(stream: "WORK", consumer)

        let first = try await js.fetch(stream: "WORK", consumer: "writer", batch: 5, expires: .milliseconds(500))
        #expect(first.map(\.message.text) == (0..<5).map { "job-\($0)" })
        #expect(first.map(\.streamSequence) == [1, 2, 3, 4, 5])
        for message in first.dropLast() { try message.ack() }
        try await first.last!.ackSync()
        let second = try await js.fetch(stream: "WORK", consumer: "writer", batch: 5, expires: .milliseconds(500))
        #expect(second.map(\.message.text) == ["job-5", "job-6"])
        try second[0].ack()
        try second[1].nak()
        // The nak'ed one comes back, marked as a second delivery.
        let third = try await js.fetch(stream: "WORK", consumer: "writer", batch: 5, expires: .milliseconds(500))
        #expect(third.map(\.message.text) == ["job-6"])
        #expect(third.first?.deliveries == 2)
        try await third[0].ackSync()
        let empty = try await js.fetch(stream: "WORK", consumer: "writer", batch: 5, expires: .milliseconds(300))
        #expect(empty.isEmpty)
        let info = try await js.consumerInfo(stream: "WORK", consumer: "writer")
        #expect(info.num_pending == 0 && info.num_ack_pending == 0)
        await nats.close()
    }
}
