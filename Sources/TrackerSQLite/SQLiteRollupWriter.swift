import Foundation
import TrackerCore
import TrackerStorage

/// The writer connection's prepared statements, used only on its queue.
final class WriterStatements: @unchecked Sendable {
    let insert: SQLiteStatement
    /// The buffer every statement's text is bound from (emptied by each `step`).
    let text = BoundText()
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

    /// Values are bound with their own types, not through an array of existentials, and text from
    /// one buffer (`BoundText`): this runs for every new visitor, session and day on the commit
    /// thread.
    static func write(_ batch: RollupBatch, _ statements: WriterStatements) throws(StorageError) {
        let text = statements.text
        let visitor = statements.visitor
        for (key, span) in batch.visitors {
            text.add(1, key.site)
            text.add(2, key.vid)
            text.add(3, Timestamp.format(span.first.created))
            text.add(4, Timestamp.format(span.last.created))
            visitor.bind(5, Int64(span.count))
            text.add(6, span.uid)
            text.add(7, span.first[.url])
            addAcquisition(of: span.first, from: 8, to: text)
            text.add(12, span.first[.country])
            _ = try text.step(visitor)
        }
        let session = statements.session
        for (key, span) in batch.sessions {
            text.add(1, key.site)
            text.add(2, key.sid)
            text.add(3, span.first[.vid])
            text.add(4, Timestamp.format(span.first.created))
            text.add(5, Timestamp.format(span.last.created))
            session.bind(6, Int64(span.count))
            text.add(7, span.first[.url])
            text.add(8, span.last[.url])
            addAcquisition(of: span.first, from: 9, to: text)
            _ = try text.step(session)
        }
        let daily = statements.dailyEvents
        for (key, count) in batch.dailyEvents {
            text.add(1, key.site)
            text.add(2, key.day)
            text.add(3, key.name)
            daily.bind(4, Int64(count))
            _ = try text.step(daily)
        }
        let dailyVisitor = statements.dailyVisitor
        for key in batch.dailyVisitors {
            text.add(1, key.site)
            text.add(2, key.day)
            text.add(3, key.vid)
            _ = try text.step(dailyVisitor)
        }
    }

    /// How a visitor or session came: `referrer, source, medium, campaign`, four columns in a row
    /// in both tables, from its first event.
    static func addAcquisition(of event: Event, from parameter: Int32, to text: BoundText) {
        text.add(parameter, event[.last])
        text.add(parameter + 1, event[.source])
        text.add(parameter + 2, event[.medium])
        text.add(parameter + 3, event[.campaign])
    }
}
