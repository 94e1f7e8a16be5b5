import Foundation
import Testing
import TrackerCore
@testable import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// The rollup tables of the SQLite store: each event counted once, whether replayed, written in
/// chunks, left without its rollups by a crash, by a failed write, or by another process.
@Suite struct SQLiteRollupTests {
    func query(_ path: String, _ sql: String) throws -> [String] {
        try SQLiteEventStoreTests().query(path, sql)
    }

    /// All `events` counted per day, the visitors' counts as `visitors` ("vid:events"), and the
    /// cursor at the last event.
    func expectRollups(_ path: String, events: Int, visitors: [String]) throws {
        #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["\(events)"])
        #expect(try query(path, "SELECT vid || ':' || events FROM visitors ORDER BY 1") == visitors)
        #expect(try query(path, "SELECT last_seq FROM rollup_cursor") == ["\(events)"])
    }

    @Test(arguments: [1, 2, 3])
    func rollupsCountEachEventOnceEvenWhenReplayed(batchSize: Int) async throws {
        let directory = TemporaryDirectory("sqlite-rollups")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        var events = [
            EventBuilder.event(1, at: 0, vid: "v1", sid: "s1"),
            EventBuilder.event(2, at: 60, vid: "v1", sid: "s1"),
            EventBuilder.event(3, at: 120, vid: "v2", sid: "s2"),
        ]
        events[0][.url] = "/entry"
        events[1][.url] = "/exit"
        for start in stride(from: 0, to: events.count, by: batchSize) {
            try await store.append(Array(events[start..<min(start + batchSize, events.count)]))
        }
        try await store.append(events)
        #expect(try query(path, "SELECT entry_url || ' ' || exit_url FROM sessions WHERE sid = 's1'") == ["/entry /exit"])
        #expect(try query(path, "SELECT first_url FROM visitors WHERE vid = 'v1'") == ["/entry"])
        #expect(try query(path, "SELECT vid || ':' || events FROM visitors ORDER BY vid") == ["v1:2", "v2:1"])
        #expect(try query(path, "SELECT sid || ':' || events || ':' || started || ':' || ended FROM sessions WHERE sid = 's1'")
            == ["s1:2:\(Timestamp.format(events[0].created)):\(Timestamp.format(events[1].created))"])
        #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["3"])
        #expect(try query(path, "SELECT count(*) FROM daily_visitors") == ["2"])
    }

    /// The rollups are written after their events, in a transaction of their own (while the
    /// ingest queue fsyncs the events): events committed without their rollups, as after a crash
    /// between the two, get them when the store is next opened, and only once.
    @Test func rollupsMissingAfterACrashAreMadeAtTheNextOpen() throws {
        let directory = TemporaryDirectory("sqlite-rollup-crash")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let all = (1...40).map { EventBuilder.event($0, at: Double($0), vid: "v\($0 % 5)", sid: "s\($0 % 9)") }
        do {
            let store = try SQLiteEventStore(path: path)
            try store.appendCommitted(Array(all[..<25]))
            try store.finishCommitted()
            // The second batch's rollups are held, never written: the process dies here.
            try store.appendCommitted(Array(all[25...]))
            try store.syncCommitted()
            #expect(try query(path, "SELECT count(*) FROM events") == ["40"])
            #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["25"])
        }
        for _ in 0..<2 {
            _ = try SQLiteEventStore(path: path)
            try expectRollups(path, events: 40, visitors: ["v0:8", "v1:8", "v2:8", "v3:8", "v4:8"])
            #expect(try query(path, "SELECT sum(events) FROM sessions") == ["40"])
        }
    }

    /// Two stores on one file (`tracker export` opens the data of a running server): whichever
    /// writes the rollups of events another one committed, every event is counted once, since
    /// each checks the cursor under the write lock before writing what it holds.
    @Test func twoStoresOnOneFileCountEachEventOnce() throws {
        let directory = TemporaryDirectory("sqlite-rollup-two-stores")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let all = (1...30).map { EventBuilder.event($0, at: Double($0), vid: "v\($0 % 3)", sid: "s\($0 % 3)") }
        let first = try SQLiteEventStore(path: path)
        try first.appendCommitted(Array(all[..<10]))
        // Opened while the first holds its batch's rollups: it rolls those events up itself.
        let second = try SQLiteEventStore(path: path)
        #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["10"])
        try first.finishCommitted()
        try second.appendCommitted(Array(all[10..<20]))
        try first.appendCommitted(Array(all[20...]))
        try first.finishCommitted()
        try second.finishCommitted()
        try expectRollups(path, events: 30, visitors: ["v0:10", "v1:10", "v2:10"])
        #expect(try query(path, "SELECT count(*) FROM daily_visitors") == ["3"])
    }

    /// A rollup write that fails leaves its events stored; the next write makes the rollups of
    /// every event past the cursor, so none is lost or counted twice.
    @Test func aFailedRollupWriteIsCaughtUpByTheNext() throws {
        let directory = TemporaryDirectory("sqlite-rollup-failure")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        let all = (1...30).map { EventBuilder.event($0, at: Double($0), vid: "v\($0 % 4)", sid: "s\($0 % 4)") }
        try store.appendCommitted(Array(all[..<10]))
        try store.finishCommitted()
        _ = try query(path, "CREATE TRIGGER refuse BEFORE UPDATE ON rollup_cursor BEGIN SELECT RAISE(ABORT, 'injected'); END")
        try store.appendCommitted(Array(all[10..<20]))
        #expect(throws: StorageError.self) { try store.finishCommitted() }
        #expect(try query(path, "SELECT count(*) FROM events") == ["20"])
        #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["10"])
        _ = try query(path, "DROP TRIGGER refuse")
        try store.appendCommitted(Array(all[20...]))
        try store.finishCommitted()
        try expectRollups(path, events: 30, visitors: ["v0:7", "v1:8", "v2:8", "v3:7"])
    }

    /// Batches are written several rows per statement (chunks of 16, 4 and 1): a chunk in which
    /// some rows are replays, or the same eid twice, still counts each new event once, in the
    /// events table and in every rollup, checked against counts made from the distinct events.
    @Test func chunkedWritesCountEachNewEventOnce() async throws {
        let directory = TemporaryDirectory("sqlite-chunks")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        let all = (1...60).map { EventBuilder.event($0, at: Double($0), vid: "v\($0 % 7)", sid: "s\($0 % 11)") }
        let first = Array(all[0..<23])
        // Old and new interleaved, one new event twice in the same chunk, then a chunk of only replays.
        var second: [Event] = []
        for (old, new) in zip(all[0..<20], all[23..<43]) { second += [old, new] }
        second.insert(all[24], at: 5)
        second += Array(all[0..<16])
        try await store.append(first)
        try await store.append(second)
        try await store.append(Array(all[43...]) + Array(all[43...]))
        #expect(try query(path, "SELECT count(*) FROM events") == ["\(all.count)"])
        #expect(try query(path, "SELECT sum(events) FROM daily_events") == ["\(all.count)"])
        func counts(_ field: EventField) -> [String] {
            Dictionary(grouping: all) { $0[field]! }.map { "\($0.key):\($0.value.count)" }.sorted()
        }
        #expect(try query(path, "SELECT vid || ':' || events FROM visitors ORDER BY 1") == counts(.vid))
        #expect(try query(path, "SELECT sid || ':' || events FROM sessions ORDER BY 1") == counts(.sid))
        #expect(try query(path, "SELECT count(*) FROM daily_visitors") == ["7"])
    }
}
