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

/// Deterministic bytes: each call ends with the next value of a 64-bit counter, so every
/// generated id differs and runs repeat exactly.
public final class CountingRandom: RandomSource {
    let counter = Mutex<UInt64>(0)

    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        let value = counter.withLock { $0 += 1; return $0 }
        return (0..<count).map { i in
            let shift = (count - 1 - i) * 8
            return shift < 64 ? UInt8(truncatingIfNeeded: value >> UInt64(shift)) : 0
        }
    }
}
