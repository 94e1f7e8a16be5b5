import Foundation
import Testing
import TrackerCore
@testable import TrackerStorage
import TrackerTesting

@Suite struct RollupBatchTests {
    @Test func foldsABatchIntoVisitorsSessionsAndDays() throws {
        var a1 = EventBuilder.event(1, at: 60, vid: "a", sid: "s1")
        var a0 = EventBuilder.event(2, at: 0, vid: "a", sid: "s1")
        let b = EventBuilder.event(3, at: 86_400, vid: "b", sid: "s2")
        a1[.url] = "/second"
        a0[.url] = "/first"
        a0[.uid] = nil
        a1[.ename] = "click"
        a0[.ename] = "click"
        var batch = RollupBatch()
        for event in [a1, a0, b] { batch.add(event) }
        let visitor = try #require(batch.visitors[.init(site: "d4md6", vid: "a")])
        #expect(visitor.count == 2)
        #expect(batch.events[visitor.first][EventField.url] == "/first")
        #expect(batch.events[visitor.last][EventField.url] == "/second")
        #expect(visitor.uid == "uid-1")
        #expect(batch.sessions.count == 2)
        #expect(batch.dailyEvents[.init(site: "d4md6", day: String(Timestamp.format(a0.created).prefix(10)), name: "click")] == 2)
        #expect(batch.dailyVisitors.count == 2)
    }

    /// Days are UTC calendar days, remembered from one event to the next: check the edges, before
    /// 1970 too, against the timestamp's own text.
    @Test func eachEventCountsOnItsOwnDay() {
        var batch = RollupBatch()
        let instants: [Double] = [0, -1, 0.999, 86_399.999, 86_400, -86_400, -86_400.001, 1_790_000_000, 1_790_000_000, 1_790_006_400]
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(batch.day(of: date) == String(Timestamp.format(date).prefix(10)), "\(seconds)")
        }
    }

    @Test func eventsWithoutAVisitorStillCountPerDay() {
        var batch = RollupBatch()
        batch.add(EventBuilder.sparse(1))
        #expect(batch.visitors.isEmpty)
        #expect(batch.dailyEvents.values.reduce(0, +) == 1)
    }
}
