import Testing
import TrackerStorage

@Suite struct CommitPolicyTests {
    let policy = CommitPolicy(maxBatchEvents: 100, delayNanoseconds: 1_000_000)

    @Test func sleepsWhenIdleAndFinishesWhenClosedAndDrained() {
        #expect(policy.action(pendingEvents: 0, oldestWaitedNanoseconds: 0, closed: false) == .sleep)
        #expect(policy.action(pendingEvents: 0, oldestWaitedNanoseconds: 0, closed: true) == .finish)
    }

    @Test func waitsForCompanyUntilTheDelayHasPassed() {
        #expect(policy.action(pendingEvents: 3, oldestWaitedNanoseconds: 250_000, closed: false) == .wait(nanoseconds: 750_000))
        #expect(policy.action(pendingEvents: 3, oldestWaitedNanoseconds: 1_000_000, closed: false) == .commit)
    }

    @Test func commitsAtOnceWhenTheBatchIsFullOrTheQueueCloses() {
        #expect(policy.action(pendingEvents: 100, oldestWaitedNanoseconds: 0, closed: false) == .commit)
        #expect(policy.action(pendingEvents: 1, oldestWaitedNanoseconds: 0, closed: true) == .commit)
    }

    @Test func noDelayMeansCommitAtOnce() {
        let eager = CommitPolicy(maxBatchEvents: 100, delayNanoseconds: 0)
        #expect(eager.action(pendingEvents: 1, oldestWaitedNanoseconds: 0, closed: false) == .commit)
    }
}
