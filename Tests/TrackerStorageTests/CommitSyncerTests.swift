import Foundation
import Synchronization
import Testing
import TrackerCore
@testable import TrackerStorage
import TrackerTesting

@Suite struct CommitSyncerTests {
    final class Flags: Sendable {
        let answered = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
    }

    static func batch(_ i: Int, _ flags: Flags) -> CommitSyncer.Batch {
        [IngestQueue.Submission(events: [EventBuilder.event(i)], completion: { _ in flags.answered.add(1, ordering: .relaxed) })]
    }

    static func eids(_ batches: [CommitSyncer.Batch]) -> [String] {
        batches.flatMap { batch in batch.flatMap { $0.events.map(\.eid) } }
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<2000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }

    /// A batch is handed back by the first `enqueue` after it was answered (the commit thread
    /// frees it, not the sync thread, on which the answers wait), once, and not before.
    @Test func answeredBatchesAreHandedToTheNextEnqueueOnce() async throws {
        let flags = Flags()
        let syncer = CommitSyncer(sync: {
            while !flags.released.load(ordering: .relaxed) { usleep(500) }
            return .success(())
        }, onResult: { _, _ in })
        syncer.start()
        #expect(syncer.enqueue(Self.batch(1, flags)).isEmpty)
        // Not answered yet (its fsync is held): nothing to hand over.
        #expect(syncer.enqueue(Self.batch(2, flags)).isEmpty)
        flags.released.store(true, ordering: .relaxed)
        try await Self.waitUntil { flags.answered.load(ordering: .relaxed) == 2 && syncer.answeredCount == 2 }
        #expect(Self.eids(syncer.enqueue(Self.batch(3, flags))) == [1, 2].map { EventBuilder.event($0).eid })
        try await Self.waitUntil { flags.answered.load(ordering: .relaxed) == 3 && syncer.answeredCount == 1 }
        #expect(Self.eids(syncer.enqueue(Self.batch(4, flags))) == [EventBuilder.event(3).eid])
        syncer.finish()
        #expect(flags.answered.load(ordering: .relaxed) == 4)
    }
}
