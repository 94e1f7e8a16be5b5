import Foundation
import NATSClient
import TrackerCore
import TrackerStorage

/// The ack point of an ingest node: a batch is durable once JetStream acknowledged every event
/// (replicated as the stream says), each with its event id as `Nats-Msg-Id` so that a request
/// retried after a failure is stored once. Nothing is written locally.
public struct JetStreamSink: EventSink {
    let jetStream: JetStream
    let subject: @Sendable (Event) -> String
    /// Acks awaited at once; the rest queue behind them.
    let inFlight: Int

    public init(connection: NATSConnection, subject: @escaping @Sendable (Event) -> String, inFlight: Int = 256) {
        jetStream = JetStream(connection, timeout: .seconds(5))
        self.subject = subject
        self.inFlight = inFlight
    }

    public func append(_ events: [Event]) async throws(StorageError) {
        let jetStream = self.jetStream, subject = self.subject, inFlight = self.inFlight
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, event) in events.enumerated() {
                    if index >= inFlight { try await group.next() }
                    group.addTask {
                        _ = try await jetStream.publish(subject(event), payload: EventExport.jsonBytes(event), messageID: event.eid)
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            throw .unavailable("JetStream did not acknowledge the batch: \(error)")
        }
    }
}
