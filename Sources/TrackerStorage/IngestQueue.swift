import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import TrackerCore

/// A sink that can store a batch by blocking the calling thread; the ingest queue's own thread
/// calls it directly, with no hop through the concurrency pool.
public protocol BlockingEventSink: EventSink {
    func appendBlocking(_ events: [Event]) throws(StorageError)
}

/// The ack point. Request handlers submit events with a completion; one dedicated thread hands what
/// accumulated to the sink as a single batch (group commit: many requests share one transaction
/// and fsync), then completes each submission. A handler replies only on success, so an
/// acknowledged event is durable. `CommitPolicy` decides when to commit.
///
/// Sendable by confinement: every mutable field is touched only while `condition` is locked.
public final class IngestQueue: Service, @unchecked Sendable {
    public typealias Completion = @Sendable (Result<Void, StorageError>) -> Void

    struct Submission {
        let events: [Event]
        let completion: Completion
        /// Where the completion runs; nil: on the thread that finished the batch.
        var executor: (any CompletionExecutor)?
    }

    let sink: any EventSink
    /// The same sink when it can store on this thread directly (decided once, not per commit).
    let blockingSink: (any BlockingEventSink)?
    /// The same sink when it commits and syncs in separate steps, with the thread that syncs.
    let separatelySynced: (sink: any SeparatelySyncedSink, syncer: CommitSyncer)?
    public let sinkName: String
    let policy: CommitPolicy
    public let maxPendingEvents: Int
    let logger: Logger
    let condition = NSCondition()
    private var pending: [Submission] = []
    private var pendingEvents = 0
    private var oldestArrival: UInt64 = 0
    private var closed = false
    /// The commit thread waits for a first event (not for company): only then must a submit wake it.
    private var idle = false
    private var statistics = IngestStats()
    let slow: SlowOperations
    /// Failed fsyncs of a separately synced sink, counted on the sync thread.
    let syncFailures: SyncFailures?
    /// How far below the event loops the commit thread runs (`ThreadPriority`; the sync thread
    /// does not, see `CommitSyncer`).
    let storageNice: Int
    /// Past this many waiting events a submission waits (up to `throttleWait`) for the commit
    /// thread to take a batch before it returns. With the commit thread below the event loops
    /// on a shared core, a loop that never idles (more requests than the core can take) would
    /// otherwise leave the writer almost no time: the backlog would grow to the queue's capacity
    /// and everything past it be refused. Waiting hands the core to the writer, so the load is
    /// shed by slowing the loops (as a full socket buffer slows a client), not by refusing events.
    /// Far above any backlog of a writer that keeps up (which is one commit's worth). Nil for a
    /// sink that does its work elsewhere (an async sink such as NATS works on the event loops,
    /// which a waiting loop would hold up; its thread here only waits).
    public let backlogLimit: Int?
    static let throttleWait = 0.001

    public init(sink: any EventSink, sinkName: String, maxBatchEvents: Int = 2000, maxPendingEvents: Int = 100_000,
                commitDelay: Duration = .zero, storageNice: Int = 0, logger: Logger = Logger(label: "tracker.ingest")) {
        self.sink = sink
        self.storageNice = storageNice
        self.blockingSink = sink as? any BlockingEventSink
        self.backlogLimit = blockingSink == nil ? nil : min(maxPendingEvents / 2, max(4 * maxBatchEvents, 1000))
        let slow = SlowOperations(logger: logger)
        self.slow = slow
        if let synced = sink as? any SeparatelySyncedSink, synced.syncsSeparately {
            let statistics = SyncFailures()
            separatelySynced = (synced, CommitSyncer(
                sync: { Result { () throws(StorageError) in try synced.syncCommitted() } },
                onResult: { result, elapsed in
                    if case .failure(let error) = result { logger.error("fsync after a commit failed: \(error)") }
                    slow.note("fsync", "an fsync of the log", took: elapsed)
                    statistics.record(failed: (try? result.get()) == nil)
                }))
            syncFailures = statistics
        } else {
            separatelySynced = nil
            syncFailures = nil
        }
        self.sinkName = sinkName
        let delay = UInt64(commitDelay.components.seconds) * 1_000_000_000 + UInt64(commitDelay.components.attoseconds / 1_000_000_000)
        self.policy = CommitPolicy(maxBatchEvents: maxBatchEvents, delayNanoseconds: delay)
        self.maxPendingEvents = maxPendingEvents
        self.logger = logger
    }

    /// Queues events for the next commit. Fails at once when the queue is closed or full, so the
    /// caller can answer 503 instead of waiting. With an executor the completion runs there (a
    /// refusal's at once, on the caller's thread).
    public func submit(_ events: [Event], on executor: (any CompletionExecutor)? = nil, completion: @escaping Completion) {
        condition.lock()
        let refusal: StorageError?
        if closed {
            refusal = .unavailable("the server is shutting down")
        } else if pendingEvents + events.count > maxPendingEvents {
            statistics.refused += events.count
            refusal = .overloaded("\(pendingEvents) events are waiting for storage")
        } else {
            refusal = nil
            if pending.isEmpty { oldestArrival = DispatchTime.now().uptimeNanoseconds }
            pending.append(Submission(events: events, completion: completion, executor: executor))
            pendingEvents += events.count
            // Broadcast: throttled submitters may be waiting on the same condition.
            if idle || pendingEvents >= policy.maxBatchEvents { condition.broadcast() }
            if let backlogLimit, pendingEvents > backlogLimit {
                statistics.throttled += 1
                _ = condition.wait(until: Date().addingTimeInterval(Self.throttleWait))
            }
        }
        condition.unlock()
        if let refusal { completion(.failure(refusal)) }
    }

    /// Async convenience for callers outside the event loops (tests, imports, a NATS source...).
    public func submit(_ events: [Event]) async throws(StorageError) {
        let result: Result<Void, StorageError> = await withCheckedContinuation { continuation in
            submit(events) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    public var isClosed: Bool { locked { closed } }

    public var stats: IngestStats {
        var stats = locked { statistics.with(depth: pendingEvents) }
        if let failures = syncFailures?.snapshot() {
            stats.failedCommits += failures.total
            // A sync that failed since the last good commit makes the commits in a row failing.
            stats.consecutiveFailures += failures.sinceSuccess
        }
        return stats
    }

    /// Runs the commit thread until closed and drained.
    public func run() async throws {
        // Cancelled or shut down, the queue closes the same way: what is queued is committed.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread { [self] in
                        ThreadName.setCurrent("tracker-ingest")
                        commitLoop()
                        continuation.resume()
                    }.start()
                }
            } onGracefulShutdown: {
                self.close()
            }
        } onCancel: {
            self.close()
        }
    }

    /// Stops accepting; what is already queued is still committed before `run` returns.
    public func close() {
        locked {
            closed = true
            condition.broadcast()
        }
    }

    func commitLoop() {
        separatelySynced?.syncer.start()
        // After starting the sync thread, which would inherit it (it keeps the loops' priority).
        ThreadPriority.lowerCurrentThread(by: storageNice)
        while let batch = nextBatch() {
            let events = batch.flatMap(\.events)
            let started = ContinuousClock.now
            let result = store(events)
            if case .failure(let error) = result { logger.error("commit of \(events.count) events failed: \(error)") }
            let elapsed = ContinuousClock.now - started
            slow.note("commit", "a commit of \(events.count) events", took: elapsed)
            locked { statistics.record(events: events.count, elapsed: elapsed, failed: (try? result.get()) == nil) }
            if case .success = result, let separatelySynced {
                let answered = separatelySynced.syncer.enqueue(batch)
                let finishing = ContinuousClock.now
                do { try separatelySynced.sink.finishCommitted() } catch {
                    logger.error("after the commit of \(events.count) events: \(error)")
                }
                slow.note("commit", "the work after a commit of \(events.count) events", took: ContinuousClock.now - finishing)
                // Freed here, after the rollups, while the fsync may still run.
                withExtendedLifetime(answered) {}
            } else {
                Self.complete(batch, with: result)
            }
        }
        separatelySynced?.syncer.finish()
    }

    func store(_ events: [Event]) -> Result<Void, StorageError> {
        if let separatelySynced {
            return Result { () throws(StorageError) in try separatelySynced.sink.appendCommitted(events) }
        }
        if let blocking = blockingSink {
            return Result { () throws(StorageError) in try blocking.appendBlocking(events) }
        }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let sink = self.sink
        Task {
            do throws(StorageError) { try await sink.append(events); box.result = .success(()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return box.result
    }

    /// Blocks until the policy says commit; nil once closed and drained.
    func nextBatch() -> [Submission]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let waited = pending.isEmpty ? 0 : DispatchTime.now().uptimeNanoseconds &- oldestArrival
            switch policy.action(pendingEvents: pendingEvents, oldestWaitedNanoseconds: waited, closed: closed) {
            case .finish: return nil
            case .sleep:
                idle = true
                condition.wait()
                idle = false
            case .wait(let nanoseconds): _ = condition.wait(until: Date().addingTimeInterval(Double(nanoseconds) / 1e9))
            case .commit: return takeBatch()
            }
        }
    }

    private func takeBatch() -> [Submission] {
        var count = 0
        var taken = 0
        for submission in pending {
            if taken > 0, count + submission.events.count > policy.maxBatchEvents { break }
            count += submission.events.count
            taken += 1
        }
        let batch = Array(pending.prefix(taken))
        pending.removeFirst(taken)
        pendingEvents -= count
        condition.broadcast()  // throttled submitters
        if !pending.isEmpty { oldestArrival = DispatchTime.now().uptimeNanoseconds }
        return batch
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

/// Carries an async sink's result back to the commit thread, which waits on a semaphore for it.
private final class ResultBox: @unchecked Sendable {
    var result: Result<Void, StorageError> = .failure(.unavailable("no result"))
}
