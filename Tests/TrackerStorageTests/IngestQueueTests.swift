import Foundation
import Synchronization
import Testing
import TrackerCore
import TrackerStorage
import TrackerTesting

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

    @Test func closingDrainsWhatWasQueuedThenRefusesNewWork() async throws {
        let sink = RecordingSink()
        let queue = IngestQueue(sink: sink, sinkName: "test")
        let acknowledged = Atomic<Int>(0)
        for i in 0..<50 {
            queue.submit([EventBuilder.event(i)]) { result in
                if case .success = result { acknowledged.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        queue.close()
        try await queue.run()
        #expect(acknowledged.load(ordering: .relaxed) == 50)
        #expect(try await sink.store.count(EventQuery()) == 50)
        await #expect(throws: StorageError.unavailable("the server is shutting down")) {
            try await queue.submit([EventBuilder.event(100)])
        }
    }
}
