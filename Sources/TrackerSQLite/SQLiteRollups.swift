import Foundation
import TrackerCore
import TrackerStorage

/// Folds new rows of `events` into `visitors`, `sessions`, `daily_events` and `daily_visitors`,
/// a bounded step at a time, off the ingest path (per-row triggers there cost more than the
/// insert itself). Each step and its cursor commit together: exactly once, even after a crash.
enum SQLiteRollups {
    /// One step: at most `maxRows` events after the cursor. Returns how many were folded in.
    static func step(_ connection: SQLiteConnection, maxRows: Int) throws(StorageError) -> Int {
        try connection.execute("BEGIN IMMEDIATE")
        do throws(StorageError) {
            let cursor = try connection.prepare("SELECT last_seq, (SELECT coalesce(max(seq), 0) FROM events) FROM rollup_cursor WHERE name = 'rollups'")
            _ = try cursor.step()
            let from = cursor.int64(0) ?? 0
            let to = min(cursor.int64(1) ?? 0, from + Int64(maxRows))
            guard to > from else {
                try connection.execute("COMMIT")
                return 0
            }
            for sql in statements {
                let statement = try connection.prepare(sql)
                statement.bind(1, from)
                statement.bind(2, to)
                _ = try statement.step()
            }
            try connection.execute("COMMIT")
            return Int(to - from)
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// One sort per table and no joins: one ordered window over each visitor's (or session's) rows
    /// of the step gives the totals and the first and last row together.
    static let statements = [
        """
        INSERT INTO visitors (hhash, vid, first_seen, last_seen, events, uid, first_url, referrer, source, medium, campaign, country)
        SELECT site, vid, first_seen, last_seen, n, uid, url, last, source, medium, campaign, country FROM (
            SELECT coalesce(hhash, '') AS site, vid, url, last, source, medium, campaign, country,
                   first_value(created) OVER ordered AS first_seen, last_value(created) OVER ordered AS last_seen,
                   count(*) OVER ordered AS n, max(uid) OVER ordered AS uid,
                   row_number() OVER ordered AS rn
            FROM events WHERE seq > ?1 AND seq <= ?2 AND vid IS NOT NULL
            WINDOW ordered AS (PARTITION BY coalesce(hhash, ''), vid ORDER BY created, seq
                               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
        WHERE rn = 1
        ON CONFLICT (hhash, vid) DO UPDATE SET
            first_seen = min(first_seen, excluded.first_seen),
            last_seen = max(last_seen, excluded.last_seen),
            events = events + excluded.events,
            uid = coalesce(excluded.uid, uid)
        """,
        """
        INSERT INTO sessions (hhash, sid, vid, started, ended, events, entry_url, exit_url, referrer, source, medium, campaign)
        SELECT site, sid, vid, started, ended, n, entry_url, exit_url, last, source, medium, campaign FROM (
            SELECT coalesce(hhash, '') AS site, sid, vid, last, source, medium, campaign,
                   first_value(created) OVER ordered AS started, last_value(created) OVER ordered AS ended,
                   count(*) OVER ordered AS n,
                   first_value(url) OVER ordered AS entry_url, last_value(url) OVER ordered AS exit_url,
                   row_number() OVER ordered AS rn
            FROM events WHERE seq > ?1 AND seq <= ?2 AND vid IS NOT NULL AND sid IS NOT NULL
            WINDOW ordered AS (PARTITION BY coalesce(hhash, ''), sid ORDER BY created, seq
                               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
        WHERE rn = 1
        ON CONFLICT (hhash, sid) DO UPDATE SET
            exit_url = CASE WHEN excluded.ended >= ended THEN coalesce(excluded.exit_url, exit_url) ELSE exit_url END,
            entry_url = CASE WHEN excluded.started < started THEN excluded.entry_url ELSE entry_url END,
            started = min(started, excluded.started),
            ended = max(ended, excluded.ended),
            events = events + excluded.events
        """,
        """
        INSERT INTO daily_events (hhash, day, ename, events)
        SELECT coalesce(hhash, ''), substr(created, 1, 10), coalesce(ename, ''), count(*)
        FROM events WHERE seq > ?1 AND seq <= ?2 GROUP BY 1, 2, 3
        ON CONFLICT (hhash, day, ename) DO UPDATE SET events = events + excluded.events
        """,
        """
        INSERT OR IGNORE INTO daily_visitors (hhash, day, vid)
        SELECT DISTINCT coalesce(hhash, ''), substr(created, 1, 10), vid
        FROM events WHERE seq > ?1 AND seq <= ?2 AND vid IS NOT NULL
        """,
        "UPDATE rollup_cursor SET last_seq = ?2 WHERE name = 'rollups' AND ?1 >= 0",
    ]
}
