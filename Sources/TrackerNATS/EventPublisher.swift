import Foundation
import Logging
import NATSClient
import Synchronization
import TrackerCore
import TrackerStorage

/// Every stored event, published as JSON (the columns of `tracker export`) once the store (or
/// the spool in front of it) has it: on one subject (the Go tracker's `toc.track.notify`), or
/// on `<subject>.<etyp>` per event type. Core NATS is fire-and-forget and costs the request
/// nothing but a copy into the client's outbox; JetStream publishes wait for the stream's ack in
/// the background, each with the event id as `Nats-Msg-Id`, so a retried publish is stored once.
public final class EventPublisher: Sendable {
    public struct Options: Sendable {
        public var subject = "toc.track.notify"
        public var subjectPerType = false
        public var jetStream = false
        public init() {}
    }

    public struct Stats: Sendable {
        public var published = 0
        /// Not sent: the client's buffer was full (NATS away too long), or JetStream refused.
        public var failed = 0
        public var lastError: String?
    }

    public let connection: NATSConnection
    let options: Options
    let logger: Logger
    let counters = Mutex(Stats())

    public init(connection: NATSConnection, options: Options, logger: Logger) {
        self.connection = connection
        self.options = options
        self.logger = logger
    }

    public var stats: Stats { counters.withLock { $0 } }

    public func subject(for event: Event) -> String {
        guard options.subjectPerType else { return options.subject }
        let type = (event[.etyp] ?? "event").filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return options.subject + "." + (type.isEmpty ? "event" : type)
    }

    public func publish(_ events: [Event]) {
        if options.jetStream { return publishAcknowledged(events) }
        var sent = 0, failed = 0
        var lastError: String?
        for event in events {
            do {
                try connection.publish(subject(for: event), payload: EventExport.jsonBytes(event))
                sent += 1
            } catch {
                failed += 1
                lastError = "\(error)"
            }
        }
        counters.withLock {
            $0.published += sent
            $0.failed += failed
            if let lastError { $0.lastError = lastError }
        }
    }

    func publishAcknowledged(_ events: [Event]) {
        let js = JetStream(connection)
        Task {
            for event in events {
                let payload = EventExport.jsonBytes(event)
                var attempt = 0
                while true {
                    attempt += 1
                    do {
                        _ = try await js.publish(subject(for: event), payload: payload, messageID: event.eid)
                        counters.withLock { $0.published += 1 }
                        break
                    } catch {
                        guard attempt < 3 else {
                            counters.withLock {
                                $0.failed += 1
                                $0.lastError = "\(error)"
                            }
                            logger.warning("event \(event.eid) not acknowledged by JetStream: \(error)")
                            break
                        }
                        try? await Task.sleep(for: .milliseconds(200 * attempt))
                    }
                }
            }
        }
    }

    /// The status section: connection, counts, what waits in the client's buffer.
    public var statusJSON: JSONValue {
        let stats = self.stats
        return .object([
            "state": .string("\(connection.status)"),
            "server": connection.connectedServer.map { .string($0) } ?? .null,
            "reconnects": .number(Double(connection.reconnects)),
            "published_events": .number(Double(stats.published)),
            "failed_events": .number(Double(stats.failed)),
            "pending_bytes": .number(Double(connection.pendingBytes)),
            "last_error": stats.lastError.map { .string($0) } ?? .null,
        ])
    }
}

/// The ack point with publishing behind it: events are published once the wrapped sink holds them.
public struct PublishingSink: EventSink {
    let inner: any EventSink
    let publisher: EventPublisher

    /// Keeps the ingest thread's blocking path when the wrapped sink has one (SQLite, the spool):
    /// a commit then never waits for a thread of the concurrency pool.
    public static func wrap(_ inner: any EventSink, publisher: EventPublisher) -> any EventSink {
        if let blocking = inner as? any BlockingEventSink { return BlockingPublishingSink(inner: blocking, publisher: publisher) }
        return PublishingSink(inner: inner, publisher: publisher)
    }

    public func append(_ events: [Event]) async throws(StorageError) {
        try await inner.append(events)
        publisher.publish(events)
    }
}

struct BlockingPublishingSink: BlockingEventSink {
    let inner: any BlockingEventSink
    let publisher: EventPublisher

    func append(_ events: [Event]) async throws(StorageError) {
        try await inner.append(events)
        publisher.publish(events)
    }

    func appendBlocking(_ events: [Event]) throws(StorageError) {
        try inner.appendBlocking(events)
        publisher.publish(events)
    }
}
