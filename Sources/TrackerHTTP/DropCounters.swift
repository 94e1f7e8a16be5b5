import Synchronization
import TrackerCore

/// One counter per `DropReason`, plus accepted events; read by `/status`.
public final class DropCounters: Sendable {
    let counts = Mutex<[DropReason: Int]>([:])
    let accepted = Atomic<Int>(0)

    public init() {}

    public func count(_ reason: DropReason, _ n: Int = 1) {
        counts.withLock { $0[reason, default: 0] += n }
    }

    public func countAccepted(_ n: Int) {
        accepted.wrappingAdd(n, ordering: .relaxed)
    }

    public var acceptedCount: Int { accepted.load(ordering: .relaxed) }

    public var snapshot: [DropReason: Int] {
        let counts = counts.withLock { $0 }
        return Dictionary(uniqueKeysWithValues: DropReason.allCases.map { ($0, counts[$0] ?? 0) })
    }
}
