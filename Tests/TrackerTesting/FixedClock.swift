import Foundation
import Synchronization
import TrackerCore

/// A clock tests move by hand.
public final class FixedClock: TrackerClock {
    let current: Mutex<Date>

    public init(_ date: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        current = Mutex(date)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Deterministic bytes: a counter, so every generated id differs and runs repeat exactly.
public final class CountingRandom: RandomSource {
    let counter = Mutex<UInt8>(0)

    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        counter.withLock { value in
            (0..<count).map { _ in value &+= 1; return value }
        }
    }
}
