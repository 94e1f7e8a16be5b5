import Synchronization

/// Messages of one subscription, as an async sequence. A reader that falls behind by more than
/// the capacity loses the newest messages (counted in `dropped`), never the connection: one slow
/// consumer must not stall every other subscription of the client.
public final class NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage
    public let subject: String
    public let queue: String?
    let sid: Int
    let stream: AsyncStream<NATSMessage>
    let continuation: AsyncStream<NATSMessage>.Continuation
    let counters = Mutex((received: 0, dropped: 0))
    weak let connection: NATSConnection?

    init(subject: String, queue: String?, sid: Int, capacity: Int, connection: NATSConnection) {
        self.subject = subject
        self.queue = queue
        self.sid = sid
        (stream, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingOldest(capacity))
        self.connection = connection
    }

    func deliver(_ message: NATSMessage) {
        switch continuation.yield(message) {
        case .dropped: counters.withLock { $0.dropped += 1 }
        default: counters.withLock { $0.received += 1 }
        }
    }

    /// Messages lost because the reader was too slow.
    public var dropped: Int { counters.withLock { $0.dropped } }
    public var received: Int { counters.withLock { $0.received } }

    public func unsubscribe() {
        connection?.unsubscribe(self)
    }

    func finish() { continuation.finish() }

    public func makeAsyncIterator() -> AsyncStream<NATSMessage>.Iterator {
        stream.makeAsyncIterator()
    }
}
