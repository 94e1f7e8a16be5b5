import Logging
import Synchronization

/// Warns of commits, fsyncs and checkpoints slower than `threshold`: every request of a batch
/// waits for its commit and fsync, so these are what an operator looks for behind a latency spike
/// (on a slow or saturated disk an fsync can take hundreds of milliseconds, above all while a
/// checkpoint syncs the database file). At most one warning per kind every `interval`, with the
/// count of those not reported, so that a disk slow for minutes does not flood the log.
public final class SlowOperations: Sendable {
    public static let threshold = Duration.milliseconds(100)
    let interval: Duration
    let logger: Logger
    private let reported = Mutex<[String: (last: ContinuousClock.Instant, unreported: Int)]>([:])

    public init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// `what` names the operation ("a commit of 40 events"); the kind is its first word or two.
    public func note(_ kind: String, _ what: @autoclosure () -> String, took elapsed: Duration, now: ContinuousClock.Instant = .now) {
        guard elapsed > Self.threshold else { return }
        let unreported: Int? = reported.withLock { reported in
            if let entry = reported[kind], now - entry.last < interval {
                reported[kind]?.unreported += 1
                return nil
            }
            let unreported = reported[kind]?.unreported ?? 0
            reported[kind] = (now, 0)
            return unreported
        }
        guard let unreported else { return }
        let more = unreported > 0 ? " (and \(unreported) more over \(Self.milliseconds(Self.threshold)) ms since the last warning)" : ""
        logger.warning("\(what()) took \(Self.milliseconds(elapsed)) ms\(more)")
    }

    public static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
