import Synchronization

/// Runs `work` with a deadline and returns when the first of the two ends, without waiting for
/// the other. A task group cannot do that: it waits for every child before it returns, so a
/// driver call that ignores cancellation (a query on a connection to a killed server, blocked
/// until TCP gives up) would hold the caller past its deadline, forever in the worst case. Here the
/// late work is cancelled and left to finish on its own.
public enum Deadline {
    public static func run<T: Sendable>(_ timeout: Duration, onTimeout: @escaping @Sendable () -> any Error,
                                        _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.start(continuation)
                let worker = Task {
                    do { outcome.finish(.success(try await work())) } catch { outcome.finish(.failure(error)) }
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled, outcome.finish(.failure(onTimeout())) { worker.cancel() }
                }
                outcome.onFinish { worker.cancel(); timer.cancel() }
            }
        } onCancel: {
            outcome.finish(.failure(CancellationError()))
        }
    }

    /// The continuation, resumed once by whoever ends first; then the other side is cancelled.
    final class Outcome<T: Sendable>: Sendable {
        struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var early: Result<T, any Error>?
            var cleanup: (@Sendable () -> Void)?
            var done = false
        }

        let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        /// True for the first call only.
        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let (continuation, cleanup, first) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?, Bool) in
                guard !state.done else { return (nil, nil, false) }
                state.done = true
                if state.continuation == nil { state.early = result }
                defer { state.continuation = nil; state.cleanup = nil }
                return (state.continuation, state.cleanup, true)
            }
            continuation?.resume(with: result)
            cleanup?()
            return first
        }

        /// Runs `cleanup` when the outcome is known (at once if it already is).
        func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
            let already = state.withLock { state -> Bool in
                if state.done { return true }
                state.cleanup = cleanup
                return false
            }
            if already { cleanup() }
        }
    }
}
