import Testing
import TrackerHTTP

@Suite struct DailyQuotaTests {
    let noon = 20_000 * 86_400.0 + 43_200

    @Test func aClientPastTheLimitIsRefusedUntilMidnight() {
        let quota = DailyQuota(limit: 3)
        for _ in 0..<3 { quota.count("1.2.3.4", now: noon) }
        #expect(quota.check("1.2.3.4", now: noon) == .allowed)
        quota.count("1.2.3.4", now: noon)
        #expect(quota.check("1.2.3.4", now: noon) == .exceeded(retryAfter: 43_200))
        #expect(quota.check("5.6.7.8", now: noon) == .allowed)
        // A new UTC day starts from zero.
        #expect(quota.check("1.2.3.4", now: noon + 43_200) == .allowed)
    }

    @Test func aFullClientTableFailsClosedForStrangersOnly() {
        let quota = DailyQuota(limit: 10, maxKeys: 2)
        quota.count("a", now: noon)
        quota.count("b", now: noon)
        quota.count("c", now: noon)
        #expect(quota.check("a", now: noon) == .allowed)
        #expect(quota.check("c", now: noon) == .unavailable(retryAfter: 43_200))
        #expect(quota.check("c", now: noon + 43_200) == .allowed)
    }
}
