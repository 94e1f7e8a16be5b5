/// The generic cell rate algorithm: a token bucket kept as one number per key, the theoretical
/// arrival time (TAT) of the next request. `limit` requests may come at once; after that one more
/// every `period / limit`. A pure value type: no clock, no locks, no NIO (tested by itself).
public struct GCRA: Sendable, Equatable {
    public let limit: Int
    public let period: Double

    public init(limit: Int, period: Double) {
        precondition(limit > 0 && period > 0, "a rate limit needs a positive limit and period")
        self.limit = limit
        self.period = period
    }

    /// Seconds between two requests at the sustained rate.
    public var interval: Double { period / Double(limit) }

    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        /// The TAT to store when allowed (unchanged when refused).
        public let tat: Double
        /// Requests that could still be made now.
        public let remaining: Int
        /// Seconds until the bucket is full again.
        public let resetAfter: Double
        /// Seconds until the next request would be allowed (0 when allowed).
        public let retryAfter: Double
    }

    /// The decision for one request at `now` given the stored TAT (nil for an unseen key).
    public func decide(tat stored: Double?, now: Double) -> Decision {
        let tat = max(stored ?? now, now)
        let next = tat + interval
        // A microsecond of tolerance: `now + period - period` need not equal `now` in floating point.
        let wait = next - now - period
        if wait > 1e-6 {
            return Decision(allowed: false, tat: tat, remaining: 0, resetAfter: tat - now, retryAfter: wait)
        }
        let remaining = Int(((period - (next - now)) / interval + 1e-6).rounded(.down))
        return Decision(allowed: true, tat: next, remaining: max(0, remaining), resetAfter: next - now, retryAfter: 0)
    }

    /// A key whose TAT is in the past has a full bucket: forgetting it changes nothing.
    public func isIdle(tat: Double, now: Double) -> Bool {
        tat <= now
    }
}
