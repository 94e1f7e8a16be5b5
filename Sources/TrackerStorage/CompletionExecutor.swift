/// Where a submission's completion must run, such as its connection's event loop. The thread that
/// finishes a batch hands all completions bound to one executor over in one call: one task and at
/// most one wake-up for an event loop, instead of one per request (each was queued, dequeued and
/// run on its own; the loop's task queue showed in the profile of every durable event).
public protocol CompletionExecutor: AnyObject, Sendable {
    /// Runs every completion with the result, on the executor, in the order given.
    func complete(_ completions: [IngestQueue.Completion], with result: Result<Void, StorageError>)
}

extension IngestQueue {
    /// Completes the submissions: those without an executor here and now, the others grouped by
    /// executor (a server has one per event loop, so a linear search over a few groups).
    static func complete(_ submissions: [Submission], with result: Result<Void, StorageError>) {
        var groups: [(executor: any CompletionExecutor, completions: [Completion])] = []
        for submission in submissions {
            guard let executor = submission.executor else {
                submission.completion(result)
                continue
            }
            if let index = groups.firstIndex(where: { $0.executor === executor }) {
                groups[index].completions.append(submission.completion)
            } else {
                groups.append((executor, [submission.completion]))
            }
        }
        for group in groups { group.executor.complete(group.completions, with: result) }
    }
}
