import Foundation

/// Time is injected so identity, sessions and tests are deterministic.
public protocol TrackerClock: Sendable {
    func now() -> Date
}

public struct SystemClock: TrackerClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Randomness is injected for the same reason; production uses the system generator.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

public struct SystemRandomSource: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
