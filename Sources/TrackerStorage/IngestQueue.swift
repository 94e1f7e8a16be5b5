import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrackerCore

/// The ack point. Request handlers submit events with a completion; one loop hands everything that
/// accumulated to the sink as a single batch (group commit: many requests share one transaction
/// and fsync), then completes each submission. A handler replies only on success, so an
/// acknowledged event is durable. While a commit runs, new submissions gather for the next one, so
/// batches grow with load and latency stays one commit long.
public final class IngestQueue: Service, Sendable {
    public typealias Completion = @Sendable (Result<Void, StorageError>) -> Void

    struct Submission {
        let events: [Event]
        let completion: Completion
    }

    struct State {
        var pending: [Submission] = []
        var pendingEvents = 0
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
        var stats = IngestStats()
    }

    let sink: any EventSink
    public let sinkName: String
    let maxBatchEvents: Int
    public let maxPendingEvents: Int
    let logger: Logger
    let state = Mutex(State())

    public init(sink: any EventSink, sinkName: String, maxBatchEvents: Int = 2000, maxPendingEvents: Int = 100_000,
                logger: Logger = Logger(label: "tracker.ingest")) {
        self.sink = sink
        self.sinkName = sinkName
        self.maxBatchEvents = maxBatchEvents
        self.maxPendingEvents = maxPendingEvents
        self.logger = logger
    }

    /// Queues events for the next commit. Fails at once when the queue is closed or full, so the
    /// caller can answer 503 instead of waiting.
    public func submit(_ events: [Event], completion: @escaping Completion) {
        let refusal: StorageError? = state.withLock { state in
            if state.closed { return .unavailable("the server is shutting down") }
            if state.pendingEvents + events.count > maxPendingEvents {
                state.stats.refused += events.count
                return .overloaded("\(state.pendingEvents) events are waiting for storage")
            }
            state.pending.append(Submission(events: events, completion: completion))
            state.pendingEvents += events.count
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume()
            }
            return nil
        }
        if let refusal { completion(.failure(refusal)) }
    }

    /// Async convenience for callers outside the event loops (CLI import, NATS source...).
    public func submit(_ events: [Event]) async throws(StorageError) {
        let result: Result<Void, StorageError> = await withCheckedContinuation { continuation in
            submit(events) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    public var stats: IngestStats { state.withLock { $0.stats.with(depth: $0.pendingEvents) } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await commitLoop()
        } onGracefulShutdown: {
            self.close()
        }
    }

    /// Stops accepting; what is already queued is still committed before `run` returns.
    public func close() {
        state.withLock { state in
            state.closed = true
            state.waiter?.resume()
            state.waiter = nil
        }
    }

    func commitLoop() async {
        while let batch = await nextBatch() {
            let events = batch.flatMap(\.events)
            let started = ContinuousClock.now
            let result: Result<Void, StorageError>
            do {
                try await sink.append(events)
                result = .success(())
            } catch {
                logger.error("commit of \(events.count) events failed: \(error)")
                result = .failure(error)
            }
            let elapsed = ContinuousClock.now - started
            state.withLock { $0.stats.record(events: events.count, elapsed: elapsed, failed: (try? result.get()) == nil) }
            for submission in batch { submission.completion(result) }
        }
    }

    /// Waits for work; nil once closed and drained.
    func nextBatch() async -> [Submission]? {
        while true {
            enum Step { case batch([Submission]), finished, wait }
            let step: Step = state.withLock { state in
                if !state.pending.isEmpty { return .batch(takeBatch(&state)) }
                return state.closed ? .finished : .wait
            }
            switch step {
            case .batch(let batch): return batch
            case .finished: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if !state.pending.isEmpty || state.closed { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    func takeBatch(_ state: inout State) -> [Submission] {
        var count = 0
        var taken = 0
        for submission in state.pending {
            if taken > 0, count + submission.events.count > maxBatchEvents { break }
            count += submission.events.count
            taken += 1
        }
        let batch = Array(state.pending.prefix(taken))
        state.pending.removeFirst(taken)
        state.pendingEvents -= count
        return batch
    }
}
