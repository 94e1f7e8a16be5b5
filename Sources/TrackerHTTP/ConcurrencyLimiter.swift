import Synchronization

/// Upstream's `MaximumConnections`: at most this many counted requests in flight; past it the
/// server answers 503 with Retry-After. A slot is an object released exactly once, whatever path
/// the request takes (upstream leaked tokens on 429s and panics, §18.5).
public final class ConcurrencyLimiter: Sendable {
    public let limit: Int
    let inFlight = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    public var current: Int { inFlight.load(ordering: .relaxed) }

    public func acquire() -> Slot? {
        let now = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        guard now <= limit else {
            inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return nil
        }
        return Slot(limiter: self)
    }

    public final class Slot: Sendable {
        let limiter: ConcurrencyLimiter
        let released = Atomic<Bool>(false)

        init(limiter: ConcurrencyLimiter) { self.limiter = limiter }

        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) {
                limiter.inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            }
        }

        deinit { release() }
    }
}
