import Foundation
import Synchronization
import Testing
import TrackerStorage

/// `Deadline.run` returns at its deadline even when the work ignores cancellation (a driver call
/// blocked on a dead server), which a task group cannot do.
struct DeadlineTests {
    struct Late: Error {}

    /// A wait that only ends when `release` is called: no cancellation reaches it.
    final class Gate: Sendable {
        let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let opened = Mutex(false)

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = opened.withLock { open in
                    if !open { waiter.withLock { $0 = continuation } }
                    return open
                }
                if open { continuation.resume() }
            }
        }

        func release() {
            opened.withLock { $0 = true }
            waiter.withLock { $0.take() }?.resume()
        }
    }

    @Test func returnsAtTheDeadlineWhileTheWorkIgnoresCancellation() async throws {
        let gate = Gate()
        // A safety valve: a broken Deadline would otherwise wait for the work forever.
        let valve = Task {
            try? await Task.sleep(for: .seconds(60))
            gate.release()
        }
        await #expect(throws: Late.self) {
            try await Deadline.run(.milliseconds(100), onTimeout: { Late() }) {
                await gate.wait()
                return 1
            }
        }
        #expect(gate.opened.withLock { !$0 }, "returned while the work was still blocked")
        valve.cancel()
        gate.release()
    }

    @Test func resultsAndErrorsPassThrough() async throws {
        #expect(try await Deadline.run(.seconds(10), onTimeout: { Late() }) { 42 } == 42)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await Deadline.run(.seconds(10), onTimeout: { Late() }) { () async throws -> Int in throw Boom() }
        }
    }

    @Test func theCallersCancellationEndsTheWait() async throws {
        let gate = Gate()
        let task = Task {
            try await Deadline.run(.seconds(60), onTimeout: { Late() }) {
                await gate.wait()
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        gate.release()
    }
}
