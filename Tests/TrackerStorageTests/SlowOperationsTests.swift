import Logging
import Synchronization
import Testing
import TrackerStorage

/// Collects what is logged, to check the warnings themselves.
final class CollectedLog: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLock { $0.append("\(level) \(message)") }
    }
}

@Suite struct SlowOperationsTests {
    @Test func slowStepsAreWarnedOfOncePerIntervalWithTheCountOfTheRest() {
        let log = CollectedLog()
        let slow = SlowOperations(logger: Logger(label: "test") { _ in log }, interval: .seconds(10))
        let start = ContinuousClock.now
        slow.note("fsync", "an fsync of the log", took: .milliseconds(50), now: start)
        slow.note("fsync", "an fsync of the log", took: .milliseconds(340), now: start)
        slow.note("fsync", "an fsync of the log", took: .milliseconds(200), now: start + .seconds(1))
        slow.note("fsync", "an fsync of the log", took: .milliseconds(150), now: start + .seconds(2))
        slow.note("commit", "a commit of 40 events", took: .milliseconds(120), now: start + .seconds(2))
        slow.note("fsync", "an fsync of the log", took: .milliseconds(101), now: start + .seconds(11))
        #expect(log.lines.withLock { $0 } == [
            "warning an fsync of the log took 340 ms",
            "warning a commit of 40 events took 120 ms",
            "warning an fsync of the log took 101 ms (and 2 more over 100 ms since the last warning)",
        ])
    }
}
