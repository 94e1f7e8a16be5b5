import Foundation
import Synchronization
import Testing
import TrackerCore
import TrackerStorage
import TrackerTesting

/// Queues `count` events, closes the queue, runs it until drained; the events acknowledged by then.
func acknowledgedWhenClosedAfterQueueing(_ count: Int, _ queue: IngestQueue) async throws -> Int {
    let acknowledged = Atomic<Int>(0)
    for i in 0..<count {
        queue.submit([EventBuilder.event(i)]) { result in
            if case .success = result { acknowledged.wrappingAdd(1, ordering: .relaxed) }
        }
    }
    queue.close()
    try await queue.run()
    return acknowledged.load(ordering: .relaxed)
}

/// A sink that records each batch and can be held or made to fail: it wraps the reference store,
/// so what it stores is really stored.
final class RecordingSink: EventSink {
    let store = MemoryEventStore()
    let batches = Mutex<[Int]>([])
    let failing = Atomic<Bool>(false)
    let delay: Duration

    init(delay: Duration = .zero) { self.delay = delay }

    func append(_ events: [Event]) async throws(StorageError) {
        if delay > .zero { try? await Task.sleep(for: delay) }
        if failing.load(ordering: .relaxed) { throw .full("test disk is full") }
        batches.withLock { $0.append(events.count) }
        try await store.append(events)
    }
}

@Suite struct IngestQueueTests {
    func submitAll(_ queue: IngestQueue, _ count: Int) async -> [Result<Void, StorageError>] {
        await withTaskGroup(of: Result<Void, StorageError>.self) { group in
            for i in 0..<count {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        queue.submit([EventBuilder.event(i)]) { continuation.resume(returning: $0) }
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func concurrentSubmissionsShareCommitsAndAllAreAcknowledgedAfterStorage() async throws {
        let sink = RecordingSink(delay: .milliseconds(20))
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let runner = Task { try await queue.run() }
        let results = await submitAll(queue, 200)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        #expect(try await sink.store.count(EventQuery()) == 200)
        let batches = sink.batches.withLock { $0 }
        #expect(batches.reduce(0, +) == 200)
        #expect(batches.count < 200, "expected group commits, got one commit per event")
        queue.close()
        try await runner.value
    }

    @Test func aFailingSinkFailsEverySubmissionOfThatBatchAndRecovers() async throws {
        let sink = RecordingSink()
        sink.failing.store(true, ordering: .relaxed)
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let runner = Task { try await queue.run() }
        let failed = await submitAll(queue, 10)
        #expect(failed.allSatisfy { if case .failure(.full) = $0 { true } else { false } })
        #expect(queue.stats.consecutiveFailures > 0)
        sink.failing.store(false, ordering: .relaxed)
        let ok = await submitAll(queue, 10)
        #expect(ok.allSatisfy { (try? $0.get()) != nil })
        #expect(queue.stats.consecutiveFailures == 0)
        queue.close()
        try await runner.value
    }

    @Test func aFullQueueRefusesAtOnceInsteadOfWaiting() async throws {
        let sink = RecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test", maxPendingEvents: 5)
        // Not running: nothing drains, so the sixth event is over capacity.
        for i in 0..<5 { queue.submit([EventBuilder.event(i)]) { _ in } }
        let refused = await withCheckedContinuation { continuation in
            queue.submit([EventBuilder.event(99)]) { continuation.resume(returning: $0) }
        }
        #expect(throws: StorageError.self) { try refused.get() }
        #expect(queue.stats.depth == 5)
        #expect(queue.stats.refused == 1)
    }

    /// Past the backlog limit a submission waits for the commit thread (here: none runs) before
    /// it returns, and is counted; below it, none waits. Only for a sink that works on the
    /// queue's threads: an async one works on the event loops, which must not wait for it.
    @Test func aLongBacklogMakesSubmissionsWaitForTheWriter() async throws {
        #expect(IngestQueue(sink: RecordingSink(), sinkName: "async").backlogLimit == nil)
        let queue = IngestQueue(sink: SyncedRecordingSink(), sinkName: "test", maxBatchEvents: 10, maxPendingEvents: 10_000)
        #expect(queue.backlogLimit == 1000)
        for i in 0..<1000 { queue.submit([EventBuilder.event(i)]) { _ in } }
        #expect(queue.stats.throttled == 0)
        for i in 0..<3 { queue.submit([EventBuilder.event(1000 + i)]) { _ in } }
        #expect(queue.stats.throttled == 3)
        #expect(queue.stats.depth == 1003, "a throttled submission is queued, not refused")
        #expect(try await acknowledgedWhenClosedAfterQueueing(0, queue) == 0)
    }

    @Test func closingDrainsWhatWasQueuedThenRefusesNewWork() async throws {
        let sink = RecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test")
        #expect(try await acknowledgedWhenClosedAfterQueueing(50, queue) == 50)
        #expect(try await sink.store.count(EventQuery()) == 50)
        await #expect(throws: StorageError.unavailable("the server is shutting down")) {
            try await queue.submit([EventBuilder.event(100)])
        }
    }
}

/// A sink that commits and syncs in separate steps, recording both in order; its sync can be held
/// (an fsync that takes long) or made to fail. It wraps the reference store.
final class SyncedRecordingSink: SeparatelySyncedSink {
    enum Step: Equatable {
        case commit(Int)
        /// A sync, with the number of commits that had returned when it began.
        case syncStarted(afterCommits: Int)
        case syncEnded
    }
    let store = MemoryEventStore()
    let steps = Mutex<[Step]>([])
    let failing = Atomic<Bool>(false)
    let held = Atomic<Bool>(false)
    /// The nice values of the threads that committed and synced, last seen.
    let nices = Mutex<(commit: Int32?, sync: Int32?)>((nil, nil))
    /// Their names, last seen.
    let names = Mutex<(commit: String?, sync: String?)>((nil, nil))
    var syncsSeparately: Bool { true }

    func append(_ events: [Event]) async throws(StorageError) { try appendBlocking(events) }

    func appendBlocking(_ events: [Event]) throws(StorageError) {
        try appendCommitted(events)
        try syncCommitted()
    }

    func appendCommitted(_ events: [Event]) throws(StorageError) {
        let done = DispatchSemaphore(value: 0)
        let store = store
        Task {
            try? await store.append(events)
            done.signal()
        }
        done.wait()
        nices.withLock { $0.commit = ThreadPriority.currentNice }
        names.withLock { $0.commit = ThreadName.current }
        steps.withLock { steps in steps.append(.commit(steps.filter { if case .commit = $0 { true } else { false } }.count + 1)) }
    }

    func syncCommitted() throws(StorageError) {
        nices.withLock { $0.sync = ThreadPriority.currentNice }
        names.withLock { $0.sync = ThreadName.current }
        steps.withLock { steps in
            steps.append(.syncStarted(afterCommits: steps.filter { if case .commit = $0 { true } else { false } }.count))
        }
        while held.load(ordering: .relaxed) { usleep(1000) }
        steps.withLock { $0.append(.syncEnded) }
        if failing.load(ordering: .relaxed) { throw .unavailable("test fsync failed") }
    }

    var commits: Int { steps.withLock { $0.filter { if case .commit = $0 { true } else { false } }.count } }
    var syncsStarted: Int { steps.withLock { $0.filter { if case .syncStarted = $0 { true } else { false } }.count } }
}

@Suite struct SeparateSyncTests {
    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<2000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }

    /// While one batch's fsync is held, the next batch is committed, and neither is answered
    /// before an fsync that began after its commit has ended.
    @Test func theNextBatchIsCommittedDuringAnFsyncAndAnswersWaitForTheirOwn() async throws {
        let sink = SyncedRecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test", commitDelay: .zero)
        let runner = Task { try await queue.run() }
        let answered = Mutex<[Int: Int]>([:])  // event → steps recorded when it was answered
        func submit(_ i: Int) {
            queue.submit([EventBuilder.event(i)]) { result in
                #expect((try? result.get()) != nil)
                answered.withLock { $0[i] = sink.steps.withLock { $0.count } }
            }
        }
        sink.held.store(true, ordering: .relaxed)
        submit(1)
        try await waitUntil { sink.syncsStarted == 1 }
        submit(2)
        try await waitUntil { sink.commits == 2 }
        #expect(answered.withLock { $0.isEmpty }, "answered before its fsync ended")
        sink.held.store(false, ordering: .relaxed)
        try await waitUntil { answered.withLock { $0.count } == 2 }
        let steps = sink.steps.withLock { $0 }
        for (event, seen) in answered.withLock({ $0 }) {
            // The answer came after a sync that began once this event's commit (the event-th) had returned, and ended.
            let prefix = steps.prefix(seen)
            let covering = prefix.indices.first { index in
                if case .syncStarted(let after) = prefix[index], after >= event { return prefix[index...].contains(.syncEnded) }
                return false
            }
            #expect(covering != nil, "event \(event) answered without an fsync after its commit: \(prefix)")
        }
        #expect(try await sink.store.count(EventQuery()) == 2)
        queue.close()
        try await runner.value
    }

    @Test func aFailedFsyncFailsItsBatchesAndTheQueueRecovers() async throws {
        let sink = SyncedRecordingSink()
        sink.failing.store(true, ordering: .relaxed)
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let runner = Task { try await queue.run() }
        for i in 0..<5 {
            await #expect(throws: StorageError.unavailable("test fsync failed")) { try await queue.submit([EventBuilder.event(i)]) }
        }
        #expect(queue.stats.consecutiveFailures > 0 && queue.stats.failedCommits > 0)
        sink.failing.store(false, ordering: .relaxed)
        try await queue.submit([EventBuilder.event(9)])
        #expect(queue.stats.consecutiveFailures == 0)
        queue.close()
        try await runner.value
    }

    /// The commit thread runs the configured steps below the thread that started the queue (the
    /// event loops' priority), and not past nice's limit; the sync thread, which the answers wait
    /// for, at the loops' priority.
    @Test(arguments: [(0, 0), (5, 5), (25, 19)])
    func theCommitThreadRunsBelowTheEventLoopsAndTheSyncThreadAsThem(steps: Int, expected: Int32) async throws {
        let sink = SyncedRecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test", storageNice: steps)
        let base = ThreadPriority.currentNice
        let runner = Task { try await queue.run() }
        try await queue.submit([EventBuilder.event(1)])
        let nices = sink.nices.withLock { $0 }
        #expect(nices.commit == min(base + expected, 19))
        #expect(nices.sync == base)
        #expect(ThreadPriority.currentNice == base, "lowered a thread that is not the queue's")
        queue.close()
        try await runner.value
    }

    /// `top -H` and `perf` tell the two storage threads apart, and from the Dispatch workers.
    @Test func theCommitAndSyncThreadsAreNamed() async throws {
        #if os(Linux)
        let sink = SyncedRecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let runner = Task { try await queue.run() }
        try await queue.submit([EventBuilder.event(1)])
        let names = sink.names.withLock { $0 }
        #expect(names.commit == "tracker-ingest")
        #expect(names.sync == "tracker-sync")
        queue.close()
        try await runner.value
        #endif
    }

    @Test func aLongThreadNameIsCutToTheKernelsFifteenBytes() async throws {
        #if os(Linux)
        let name = await Task.detached {
            // A pool thread: its own name is given back.
            let own = ThreadName.current
            defer { ThreadName.setCurrent(own) }
            ThreadName.setCurrent("tracker-a-name-longer-than-fifteen")
            return ThreadName.current
        }.value
        #expect(name == "tracker-a-name-")
        #endif
    }

    @Test func closingSyncsAndAnswersEverythingBeforeRunReturns() async throws {
        let sink = SyncedRecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test")
        #expect(try await acknowledgedWhenClosedAfterQueueing(50, queue) == 50)
        #expect(sink.steps.withLock { $0.last } == .syncEnded)
    }
}

/// Records each hand-over and runs the completions on a queue of its own, as an event loop would.
final class RecordingExecutor: CompletionExecutor {
    let calls = Mutex<[Int]>([])
    let queue = DispatchQueue(label: "recording-executor")

    func complete(_ completions: [IngestQueue.Completion], with result: Result<Void, StorageError>) {
        calls.withLock { $0.append(completions.count) }
        queue.async { for completion in completions { completion(result) } }
    }
}

@Suite struct CompletionExecutorTests {
    /// One batch's completions reach each executor in one call, in the order submitted; those
    /// without an executor run directly. For a sink that syncs apart (the sync thread completes)
    /// and one that does not (the commit thread does).
    @Test(arguments: [true, false])
    func aBatchsCompletionsReachEachExecutorInOneCall(separateSync: Bool) async throws {
        let sink: any EventSink = separateSync ? SyncedRecordingSink() : RecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let executors = [RecordingExecutor(), RecordingExecutor()]
        let order = Mutex<[Int: [Int]]>([:])  // executor (2: none) → events in the order completed
        let done = Atomic<Int>(0)
        for i in 0..<35 {
            let which = i < 30 ? i % 2 : 2
            queue.submit([EventBuilder.event(i)], on: which < 2 ? executors[which] : nil) { result in
                #expect((try? result.get()) != nil)
                order.withLock { $0[which, default: []].append(i) }
                done.wrappingAdd(1, ordering: .relaxed)
            }
        }
        queue.close()
        try await queue.run()
        for _ in 0..<2000 where done.load(ordering: .relaxed) < 35 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(executors.map { $0.calls.withLock { $0 } } == [[15], [15]])
        let completed = order.withLock { $0 }
        #expect(completed[0] == Array(stride(from: 0, to: 30, by: 2)))
        #expect(completed[1] == Array(stride(from: 1, to: 30, by: 2)))
        #expect(completed[2] == Array(30..<35))
    }
}
