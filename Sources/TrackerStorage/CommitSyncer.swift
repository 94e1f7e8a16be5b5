import Foundation
import Synchronization
import TrackerCore

/// A blocking sink whose commit and fsync are separate steps, so that the ingest queue can
/// commit the next batch while the previous one's fsync runs (`CommitSyncer`).
public protocol SeparatelySyncedSink: BlockingEventSink {
    /// Whether commits wait for the disk at all (false: `appendBlocking` alone is used).
    var syncsSeparately: Bool { get }
    /// Commits the events without waiting for the disk.
    func appendCommitted(_ events: [Event]) throws(StorageError)
    /// Makes every append that returned before this call durable.
    func syncCommitted() throws(StorageError)
    /// Work that follows a commit but need not be durable before its events are answered (the
    /// SQLite store's rollups): the commit thread runs it while the sync thread fsyncs.
    func finishCommitted() throws(StorageError)
}

extension SeparatelySyncedSink {
    public func finishCommitted() throws(StorageError) {}
}

/// The ingest queue's second thread, for sinks that sync apart from committing: it takes every
/// batch committed since its last fsync, syncs once, then answers them all, while the commit
/// thread already commits the next batch. A batch is answered only after an fsync that began
/// after its commit returned, so what is acknowledged is durable, as before; the difference is
/// that the writer no longer sits idle for the length of each fsync.
///
/// The thread keeps the priority of the one that started the queue (the event loops'), where the
/// commit thread runs below it (`StorageNice`): it does next to nothing but wait for the disk,
/// and when the fsync returns, the answers of a whole batch wait for it. Below the loops, it then
/// waited for its turn behind the commit thread's rollups, which run during the fsync at the same
/// low priority: at the loops' priority it takes the core at once. In six alternated rounds the
/// pixel went from 41.9–44.8k to 45.2–48.3k requests a second, the JSON POST's median 1 % up.
final class CommitSyncer: @unchecked Sendable {
    typealias Batch = [IngestQueue.Submission]
    let sync: () -> Result<Void, StorageError>
    /// Told each fsync's result and how long it took.
    let onResult: (Result<Void, StorageError>, Duration) -> Void
    private let condition = NSCondition()
    private var waiting: [Batch] = []
    /// Batches answered, left for the commit thread to free (`enqueue` hands them over).
    private var answered: [Batch] = []
    private var finishing = false
    private let stopped = DispatchSemaphore(value: 0)

    init(sync: @escaping () -> Result<Void, StorageError>, onResult: @escaping (Result<Void, StorageError>, Duration) -> Void) {
        self.sync = sync
        self.onResult = onResult
    }

    /// Starts the thread (with the queue's commit thread, so that a queue never run holds none).
    func start() {
        Thread { [self] in
            ThreadName.setCurrent("tracker-sync")
            loop()
            stopped.signal()
        }.start()
    }

    /// A batch whose commit returned: answered after the next fsync. Returns the batches answered
    /// since the last call, for the caller to free: freeing a batch (its events, the requests its
    /// answers captured) took this thread 20–40 µs after each fsync, on the core the answers
    /// needed; the commit thread frees them while the next fsync runs, at its lower priority. The
    /// last batches before a pause wait for the next commit (or the queue's end) to be freed: one
    /// fsync's worth of memory at most.
    func enqueue(_ batch: Batch) -> [Batch] {
        condition.lock()
        waiting.append(batch)
        var done: [Batch] = []
        swap(&done, &answered)
        condition.signal()
        condition.unlock()
        return done
    }

    /// How many answered batches wait to be handed over (for tests).
    var answeredCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return answered.count
    }

    /// Syncs and answers what is waiting, then stops the thread; returns once it has.
    func finish() {
        condition.lock()
        finishing = true
        condition.signal()
        condition.unlock()
        stopped.wait()
    }

    private func loop() {
        while true {
            condition.lock()
            while waiting.isEmpty, !finishing { condition.wait() }
            if waiting.isEmpty {
                condition.unlock()
                return
            }
            let batches = waiting
            waiting = []
            condition.unlock()
            let started = ContinuousClock.now
            let result = sync()
            onResult(result, ContinuousClock.now - started)
            Self.complete(batches, with: result)
            condition.lock()
            answered.append(contentsOf: batches)
            condition.unlock()
        }
    }
}

extension CommitSyncer {
    /// One fsync's batches completed together: their completions bound to one event loop go to
    /// it in one task.
    static func complete(_ batches: [Batch], with result: Result<Void, StorageError>) {
        IngestQueue.complete(batches.count == 1 ? batches[0] : batches.flatMap { $0 }, with: result)
    }
}

/// Failed fsyncs, for the queue's statistics: in all, and since the last one that succeeded.
final class SyncFailures: Sendable {
    private let counts = Mutex<(total: Int, sinceSuccess: Int)>((0, 0))

    func record(failed: Bool) {
        counts.withLock { counts in
            if failed {
                counts.total += 1
                counts.sinceSuccess += 1
            } else {
                counts.sinceSuccess = 0
            }
        }
    }

    func snapshot() -> (total: Int, sinceSuccess: Int) { counts.withLock { $0 } }
}
