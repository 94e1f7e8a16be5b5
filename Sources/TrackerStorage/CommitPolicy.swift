/// When the ingest queue commits: at once when the batch is full or the queue is closing, else
/// once the oldest waiting event has waited `delay`. The delay lets concurrent requests share a
/// commit: a commit costs its page writes and one fsync whatever its size, so on a busy server
/// fewer, larger commits are what keeps throughput (PostgreSQL's `commit_delay`, for the same
/// reason). A value type with no clock or thread of its own, so it is tested by itself.
public struct CommitPolicy: Sendable, Equatable {
    public enum Action: Equatable {
        /// Nothing to do until an event arrives.
        case sleep
        /// Wait this many nanoseconds more, unless more events arrive.
        case wait(nanoseconds: UInt64)
        case commit
        /// Closed and drained.
        case finish
    }

    public var maxBatchEvents: Int
    public var delayNanoseconds: UInt64

    public init(maxBatchEvents: Int, delayNanoseconds: UInt64) {
        self.maxBatchEvents = maxBatchEvents
        self.delayNanoseconds = delayNanoseconds
    }

    /// - Parameters:
    ///   - pendingEvents: events waiting.
    ///   - oldestWaitedNanoseconds: how long the oldest of them has waited.
    public func action(pendingEvents: Int, oldestWaitedNanoseconds: UInt64, closed: Bool) -> Action {
        if pendingEvents == 0 { return closed ? .finish : .sleep }
        if closed || pendingEvents >= maxBatchEvents || oldestWaitedNanoseconds >= delayNanoseconds { return .commit }
        return .wait(nanoseconds: delayNanoseconds - oldestWaitedNanoseconds)
    }
}
