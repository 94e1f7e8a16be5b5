import Foundation
import Logging
import NATSClient
import ServiceLifecycle
import Synchronization
import TrackerCore
import TrackerStorage

/// A writer node's work: pull events from the stream through one durable consumer shared by all
/// writers (so each event goes to one of them), store a batch, and only then acknowledge it.
/// A writer that dies leaves its messages unacknowledged; JetStream redelivers them to another
/// after `ack_wait`, and the store, idempotent by event id, keeps each once.
public final class StreamWriter: Service, Sendable {
    public struct Stats: Sendable {
        public var stored = 0
        public var batches = 0
        public var malformed = 0
        public var failures = 0
        public var lastError: String?
        /// The consumer's state when last asked: events waiting in the stream, and delivered but
        /// not yet acknowledged (the stream's lag behind the store).
        public var pending: Int?
        public var ackPending: Int?
    }

    let connection: NATSConnection
    let store: any EventSink
    let stream: String
    let consumer: JetStream.ConsumerConfig
    let batchSize: Int
    let logger: Logger
    let counters = Mutex(Stats())

    public init(connection: NATSConnection, store: any EventSink, stream: String, consumer: String = "writers",
                subject: String, batchSize: Int = 500, ackWait: Duration = .seconds(30), logger: Logger) {
        self.connection = connection
        self.store = store
        self.stream = stream
        var config = JetStream.ConsumerConfig(durable: consumer)
        config.filter_subject = subject
        config.ack_wait = Int64(ackWait.components.seconds) * 1_000_000_000
        config.max_ack_pending = 100_000
        self.consumer = config
        self.batchSize = batchSize
        self.logger = logger
    }

    public var stats: Stats { counters.withLock { $0 } }

    public func run() async throws {
        let js = JetStream(connection, timeout: .seconds(10))
        var wait = 0.2
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                _ = try await js.addOrUpdateConsumer(stream: stream, consumer)
                break
            } catch {
                logger.warning("the writers' consumer on \(stream) is not ready yet: \(error)")
                try? await pause(wait)
                wait = min(wait * 2, 5)
            }
        }
        var lastInfo = ContinuousClock.now - .seconds(10)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if ContinuousClock.now - lastInfo > .seconds(2), let info = try? await js.consumerInfo(stream: stream, consumer: consumer.durable_name) {
                lastInfo = .now
                counters.withLock {
                    $0.pending = info.num_pending
                    $0.ackPending = info.num_ack_pending
                }
            }
            do {
                let messages = try await js.fetch(stream: stream, consumer: consumer.durable_name, batch: batchSize, expires: .seconds(1))
                guard !messages.isEmpty else { continue }
                try await write(messages)
                wait = 0.2
            } catch {
                counters.withLock {
                    $0.failures += 1
                    $0.lastError = "\(error)"
                }
                logger.warning("stream writer: \(error)")
                try? await pause(wait)
                wait = min(wait * 2, 5)
            }
        }
    }

    func pause(_ seconds: Double) async throws {
        let duration = Duration.milliseconds(Int(seconds * 1000))
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }

    /// Stores the batch, then acknowledges it; a batch the store refused is handed back (nak).
    func write(_ messages: [JetStreamMessage]) async throws {
        var events: [Event] = []
        var good: [JetStreamMessage] = []
        for message in messages {
            if let event = EventExport.event(fromJSON: message.message.payload) {
                events.append(event)
                good.append(message)
            } else {
                counters.withLock { $0.malformed += 1 }
                try? message.terminate()
            }
        }
        do {
            try await store.append(events)
        } catch {
            for message in good { try? message.nak(delay: .seconds(1)) }
            throw error
        }
        for message in good { try message.ack() }
        try await connection.flush(timeout: .seconds(5))
        counters.withLock {
            $0.stored += events.count
            $0.batches += 1
        }
    }

    public var statusJSON: JSONValue {
        let stats = self.stats
        return .object([
            "stored_events": .number(Double(stats.stored)),
            "batches": .number(Double(stats.batches)),
            "malformed_messages": .number(Double(stats.malformed)),
            "failures": .number(Double(stats.failures)),
            "stream_pending": stats.pending.map { .number(Double($0)) } ?? .null,
            "ack_pending": stats.ackPending.map { .number(Double($0)) } ?? .null,
            "last_error": stats.lastError.map { .string($0) } ?? .null,
        ])
    }
}
