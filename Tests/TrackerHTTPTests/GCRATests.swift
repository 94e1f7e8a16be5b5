import Testing
import TrackerHTTP

@Suite struct GCRATests {
    let gcra = GCRA(limit: 5, period: 10)

    /// Runs requests at the given times from an empty bucket; returns who was allowed.
    func run(_ times: [Double]) -> [Bool] {
        var tat: Double?
        return times.map { now in
            let decision = gcra.decide(tat: tat, now: now)
            if decision.allowed { tat = decision.tat }
            return decision.allowed
        }
    }

    @Test func aFullBucketLetsTheLimitThroughAtOnceThenRefuses() {
        #expect(run(Array(repeating: 100, count: 6)) == [true, true, true, true, true, false])
    }

    @Test func oneMoreRequestEveryIntervalAfterTheBurst() {
        let times = Array(repeating: 100.0, count: 5) + [101, 102, 102.5, 104, 104.1]
        #expect(run(times) == [true, true, true, true, true, false, true, false, true, false])
    }

    @Test func refusalsSayWhenToRetryAndCountNothing() {
        var tat: Double?
        for _ in 0..<5 { tat = gcra.decide(tat: tat, now: 0).tat }
        let refused = gcra.decide(tat: tat, now: 0.5)
        #expect(!refused.allowed)
        #expect(refused.retryAfter == 1.5)
        #expect(refused.tat == tat)
        #expect(refused.remaining == 0)
        #expect(gcra.decide(tat: tat, now: 2).allowed)
    }

    @Test func remainingAndResetDescribeTheBucket() {
        let first = gcra.decide(tat: nil, now: 0)
        #expect(first.remaining == 4)
        #expect(first.resetAfter == 2)
        let second = gcra.decide(tat: first.tat, now: 0)
        #expect(second.remaining == 3)
        #expect(second.resetAfter == 4)
    }

    @Test func anIdleKeyHasAFullBucket() {
        let decision = gcra.decide(tat: nil, now: 0)
        #expect(!gcra.isIdle(tat: decision.tat, now: 1))
        #expect(gcra.isIdle(tat: decision.tat, now: 2))
    }
}

@Suite struct RateLimiterTests {
    @Test func aFloodOfDistinctKeysStaysWithinTheMemoryBound() {
        let limiter = RateLimiter(name: "flood", gcra: GCRA(limit: 2, period: 60), maxKeys: 1000)
        for i in 0..<100_000 {
            _ = limiter.check("ip:\(i)", now: 0)
        }
        #expect(limiter.keyCount <= 1000)
    }

    @Test func aHotKeyIsStillLimitedDuringAFlood() {
        let limiter = RateLimiter(name: "hot", gcra: GCRA(limit: 3, period: 60), maxKeys: 100)
        var allowed = 0
        for i in 0..<1000 {
            if limiter.check("hot", now: Double(i) * 0.001).allowed { allowed += 1 }
            _ = limiter.check("other:\(i)", now: Double(i) * 0.001)
        }
        #expect(allowed == 3)
    }
}

@Suite struct GCRARoundingTests {
    /// `now + period - period` is not always `now` in floating point: a fresh key must pass anyway.
    @Test func aFreshKeyPassesAtAnyTime() {
        let gcra = GCRA(limit: 1, period: 3600)
        for i in 0..<10_000 {
            // Seconds of uptime or of the epoch, up to 300 years, with fractions.
            let now = Double(i) * 997_331.123456789 + 0.000123
            #expect(gcra.decide(tat: nil, now: now).allowed, "refused at \(now)")
            let three = GCRA(limit: 3, period: 3600).decide(tat: nil, now: now)
            #expect(three.remaining == 2, "remaining \(three.remaining) at \(now)")
        }
    }
}
