/// Counters of the ingest queue, reported by `/status` and `/health`.
public struct IngestStats: Sendable, Equatable {
    public var depth = 0
    public var committedEvents = 0
    public var commits = 0
    public var failedCommits = 0
    public var refused = 0
    /// Submissions that waited for the writer because the backlog was long (`IngestQueue.backlogLimit`).
    public var throttled = 0
    public var lastCommitMilliseconds = 0.0
    public var consecutiveFailures = 0

    public init() {}

    mutating func record(events: Int, elapsed: Duration, failed: Bool) {
        lastCommitMilliseconds = Double(elapsed.components.seconds) * 1000
            + Double(elapsed.components.attoseconds) / 1e15
        if failed {
            failedCommits += 1
            consecutiveFailures += 1
        } else {
            commits += 1
            committedEvents += events
            consecutiveFailures = 0
        }
    }

    func with(depth: Int) -> IngestStats {
        var copy = self
        copy.depth = depth
        return copy
    }
}
