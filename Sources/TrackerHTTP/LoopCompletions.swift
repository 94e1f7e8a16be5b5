import NIOCore
import Synchronization
import TrackerStorage

/// An event loop as the ingest queue's completion executor: the answers to the requests of one
/// fsync that came through this loop are written from one task. One instance per loop (the queue
/// groups by instance), looked up once per connection.
final class LoopCompletions: CompletionExecutor {
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    private static let byLoop = Mutex<[ObjectIdentifier: LoopCompletions]>([:])

    static func of(_ loop: any EventLoop) -> LoopCompletions {
        byLoop.withLock { known in
            if let existing = known[ObjectIdentifier(loop)] { return existing }
            let made = LoopCompletions(loop: loop)
            known[ObjectIdentifier(loop)] = made
            return made
        }
    }

    func complete(_ completions: [IngestQueue.Completion], with result: Result<Void, StorageError>) {
        loop.execute {
            for completion in completions { completion(result) }
        }
    }
}
