import Foundation
import Testing
import TrackerCore
@testable import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// Events whose ids the server minted reach every B-tree at its right edge (time-ordered ids,
/// rollup rows written in arrival order), and there SQLite fills pages instead of splitting them
/// in halves (our change in `balance`, Sources/SQLite3/README.md). Before, the leaves of these
/// B-trees were 85–89 % full and every commit rewrote more of them: a quarter of the log written
/// per pixel event.
@Suite struct SQLiteAppendFillTests {
    @Test func appendedKeysFillTheirPages() async throws {
        let directory = TemporaryDirectory("sqlite-fill")
        defer { directory.remove() }
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"))
        let random = SystemRandomSource()
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        // 100 batches of 50 new visitors, one event each, 25 µs apart, as the pixel benchmark
        // makes them.
        for batch in 0..<100 {
            let events = (0..<50).map { n in
                let instant = start.addingTimeInterval(Double(batch * 50 + n) * 0.000_025)
                let mint = { TimeUUID.text(TimeUUID.v7(at: instant, random: random)) }
                var event = Event(eid: mint(), created: Timestamp.truncated(instant))
                event[.hhash] = "d4md6"
                event[.vid] = mint()
                event[.sid] = mint()
                event[.url] = "https://example.com/welcome?campaign=\(batch)"
                return event
            }
            try await store.append(events)
        }
        let fill = try store.writer.runSync { (connection) throws(StorageError) -> [String: Double] in
            let statement = try connection.prepare("""
                SELECT name, sum(pgsize - unused) * 1.0 / sum(pgsize) FROM dbstat
                WHERE pagetype = 'leaf' GROUP BY name
                """)
            var fill: [String: Double] = [:]
            while try statement.step() { fill[statement.text(0) ?? ""] = statement.double(1) }
            return fill
        }
        for name in ["sqlite_autoindex_events_1", "events_created", "events_site_created", "daily_visitors"] {
            #expect((fill[name] ?? 0) > 0.95, "\(name): \(fill[name] ?? 0)")
        }
        // Rows of a few hundred bytes leave a part of a cell's size free on each page.
        for name in ["visitors", "sessions"] {
            #expect((fill[name] ?? 0) > 0.92, "\(name): \(fill[name] ?? 0)")
        }
        #expect(try await store.count(EventQuery()) == 5000)
    }
}
