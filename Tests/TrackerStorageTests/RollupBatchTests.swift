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
        var batch = RollupBatch(over: [a1, a0, b])
        for index in batch.events.indices { batch.add(at: index) }
        let visitor = try #require(batch.visitors[.init(site: "d4md6", vid: "a")])
        #expect(visitor.count == 2)
        #expect(batch.events[visitor.first][EventField.url] == "/first")
        #expect(batch.events[visitor.last][EventField.url] == "/second")
        #expect(visitor.uid == "uid-1")
        #expect(batch.sessions.count == 2)
        #expect(batch.dailyEvents[.init(site: "d4md6", day: String(Timestamp.format(a0.created).prefix(10)), name: "click")] == 2)
        #expect(batch.dailyVisitorKeys.map(\.vid) == ["a", "b"] && batch.dailyVisitorKeys.map(\.day) == [a1, b].map { String(Timestamp.format($0.created).prefix(10)) })
    }

    /// Only the events added count: a replayed event (its eid already stored) is in the batch
    /// but not in the rollups.
    @Test func onlyTheEventsAddedCount() {
        let events = (0..<3).map { EventBuilder.event($0, vid: "v\($0)", sid: "s\($0)") }
        var batch = RollupBatch(over: events)
        batch.add(at: 0)
        batch.add(at: 2)
        #expect(batch.visitors.entries.map(\.key.vid) == ["v0", "v2"])
        #expect(batch.visitors[.init(site: "d4md6", vid: "v2")]?.first == 2)
        #expect(batch.dailyEvents.values.reduce(0, +) == 2)
    }

    /// Rows are written in the order their visitors, sessions and days first came (the keys'
    /// order when the server minted them), not in a dictionary's order.
    @Test func entriesKeepTheOrderTheirEventsCame() {
        let vids = ["c", "a", "d", "b"]
        var batch = RollupBatch(over: (vids + vids.reversed()).enumerated().map { n, vid in EventBuilder.event(n, vid: vid, sid: "s-" + vid) })
        for index in batch.events.indices { batch.add(at: index) }
        #expect(batch.visitors.entries.map(\.key.vid) == vids)
        #expect(batch.visitors.entries.map(\.value.count) == [2, 2, 2, 2])
        #expect(batch.sessions.entries.map(\.key.sid) == vids.map { "s-" + $0 })
        #expect(batch.dailyVisitorKeys.map(\.vid) == vids)
        #expect(batch.visitors[.init(site: "d4md6", vid: "d")]?.first == 2)
        #expect(batch.visitors[.init(site: "d4md6", vid: "d")]?.last == 5)
    }

    /// Days are UTC calendar days, remembered from one event to the next: check the edges, before
    /// 1970 too, against the timestamp's own text.
    @Test func eachEventCountsOnItsOwnDay() {
        var batch = RollupBatch(over: [])
        let instants: [Double] = [0, -1, 0.999, 86_399.999, 86_400, -86_400, -86_400.001, 1_790_000_000, 1_790_000_000, 1_790_006_400]
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(batch.day(of: date) == String(Timestamp.format(date).prefix(10)), "\(seconds)")
        }
    }

    @Test func eventsWithoutAVisitorStillCountPerDay() {
        var batch = RollupBatch(over: [EventBuilder.sparse(1)])
        for index in batch.events.indices { batch.add(at: index) }
        #expect(batch.visitors.isEmpty)
        #expect(batch.dailyEvents.values.reduce(0, +) == 1)
    }

    /// Across a change of day, each visitor counts once per day it was seen, in the order its
    /// (day, visitor) first came, and runs of one name count as many events as they hold: the
    /// same as a map of every (site, day, visitor) and (site, day, name) would give.
    @Test func visitorsAndNamesPerDayAcrossDays() {
        let plan: [(vid: String, day: Double, name: String)] = [
            ("a", 0, "x"), ("a", 0, "x"), ("b", 0, "y"), ("a", 1, "x"), ("c", 1, "x"), ("b", 0, "x"),
            ("c", 1, "x"), ("a", 1, "y"), ("d", 2, "y"), ("d", 2, "y"),
        ]
        let events = plan.enumerated().map { n, step in
            var event = EventBuilder.event(n, at: step.day * 86_400 + Double(n), vid: step.vid, sid: "s-" + step.vid)
            event[.ename] = step.name
            return event
        }
        var batch = RollupBatch(over: events)
        for index in events.indices { batch.add(at: index) }
        var expectedVisitors: [RollupBatch.DayVisitorKey] = []
        var expectedCounts: [RollupBatch.DayKey: Int] = [:]
        for event in events {
            let day = String(Timestamp.format(event.created).prefix(10))
            let key = RollupBatch.DayVisitorKey(site: "d4md6", day: day, vid: event[.vid]!)
            if !expectedVisitors.contains(key) { expectedVisitors.append(key) }
            expectedCounts[.init(site: "d4md6", day: day, name: event[.ename]!), default: 0] += 1
        }
        #expect(batch.dailyVisitorKeys == expectedVisitors)
        #expect(batch.dailyEvents == expectedCounts)
        #expect(batch.visitors.entries.map(\.key.vid) == ["a", "b", "c", "d"])
        #expect(batch.visitors.entries.map(\.value.count) == [4, 2, 2, 2])
    }
}
