import Foundation
import TrackerCore
import TrackerStorage

/// The writer connection's prepared statements, used only on its queue.
final class WriterStatements: @unchecked Sendable {
    let insert: SQLiteStatement
    var insertText = BoundText()
    let visitor: SQLiteStatement
    let session: SQLiteStatement
    let dailyEvents: SQLiteStatement
    let dailyVisitor: SQLiteStatement

    init(_ connection: SQLiteConnection) throws(StorageError) {
        insert = try connection.prepare(EventRowMapping.insertSQL, persistent: true)
        visitor = try connection.prepare(SQLiteRollupWriter.visitorSQL, persistent: true)
        session = try connection.prepare(SQLiteRollupWriter.sessionSQL, persistent: true)
        dailyEvents = try connection.prepare(SQLiteRollupWriter.dailyEventsSQL, persistent: true)
        dailyVisitor = try connection.prepare(SQLiteRollupWriter.dailyVisitorSQL, persistent: true)
    }
}

/// Writes a `RollupBatch` as upserts that merge with what earlier batches stored.
enum SQLiteRollupWriter {
    static let visitorSQL = """
        INSERT INTO visitors (hhash, vid, first_seen, last_seen, events, uid, first_url, referrer, source, medium, campaign, country)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
        ON CONFLICT (hhash, vid) DO UPDATE SET
            first_url = CASE WHEN excluded.first_seen < first_seen THEN excluded.first_url ELSE first_url END,
            referrer = CASE WHEN excluded.first_seen < first_seen THEN excluded.referrer ELSE referrer END,
            first_seen = min(first_seen, excluded.first_seen),
            last_seen = max(last_seen, excluded.last_seen),
            events = events + excluded.events,
            uid = coalesce(excluded.uid, uid)
        """

    static let sessionSQL = """
        INSERT INTO sessions (hhash, sid, vid, started, ended, events, entry_url, exit_url, referrer, source, medium, campaign)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
        ON CONFLICT (hhash, sid) DO UPDATE SET
            exit_url = CASE WHEN excluded.ended >= ended THEN coalesce(excluded.exit_url, exit_url) ELSE exit_url END,
            entry_url = CASE WHEN excluded.started < started THEN excluded.entry_url ELSE entry_url END,
            started = min(started, excluded.started),
            ended = max(ended, excluded.ended),
            events = events + excluded.events
        """

    static let dailyEventsSQL = """
        INSERT INTO daily_events (hhash, day, ename, events) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (hhash, day, ename) DO UPDATE SET events = events + excluded.events
        """

    static let dailyVisitorSQL = "INSERT OR IGNORE INTO daily_visitors (hhash, day, vid) VALUES (?1, ?2, ?3)"

    /// Values are bound with their own types, not through an array of existentials: this runs for
    /// every new visitor, session and day on the commit thread.
    static func write(_ batch: RollupBatch, _ statements: WriterStatements) throws(StorageError) {
        let visitor = statements.visitor
        for (key, span) in batch.visitors {
            visitor.bind(1, key.site)
            visitor.bind(2, key.vid)
            visitor.bind(3, Timestamp.format(span.first.created))
            visitor.bind(4, Timestamp.format(span.last.created))
            visitor.bind(5, Int64(span.count))
            visitor.bind(6, span.uid)
            visitor.bind(7, span.first[.url])
            visitor.bind(8, span.first[.last])
            visitor.bind(9, span.first[.source])
            visitor.bind(10, span.first[.medium])
            visitor.bind(11, span.first[.campaign])
            visitor.bind(12, span.first[.country])
            try step(visitor)
        }
        let session = statements.session
        for (key, span) in batch.sessions {
            session.bind(1, key.site)
            session.bind(2, key.sid)
            session.bind(3, span.first[.vid])
            session.bind(4, Timestamp.format(span.first.created))
            session.bind(5, Timestamp.format(span.last.created))
            session.bind(6, Int64(span.count))
            session.bind(7, span.first[.url])
            session.bind(8, span.last[.url])
            session.bind(9, span.first[.last])
            session.bind(10, span.first[.source])
            session.bind(11, span.first[.medium])
            session.bind(12, span.first[.campaign])
            try step(session)
        }
        let daily = statements.dailyEvents
        for (key, count) in batch.dailyEvents {
            daily.bind(1, key.site)
            daily.bind(2, key.day)
            daily.bind(3, key.name)
            daily.bind(4, Int64(count))
            try step(daily)
        }
        let dailyVisitor = statements.dailyVisitor
        for key in batch.dailyVisitors {
            dailyVisitor.bind(1, key.site)
            dailyVisitor.bind(2, key.day)
            dailyVisitor.bind(3, key.vid)
            try step(dailyVisitor)
        }
    }

    static func step(_ statement: SQLiteStatement) throws(StorageError) {
        defer { statement.reset() }
        _ = try statement.step()
    }
}
