import Foundation
import TrackerCore
import TrackerStorage

/// The writer connection's prepared statements, used only on its queue.
final class WriterStatements: @unchecked Sendable {
    let insert: SQLiteStatement
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

    static func write(_ batch: RollupBatch, _ statements: WriterStatements) throws(StorageError) {
        for (key, span) in batch.visitors {
            try run(statements.visitor, [
                key.site, key.vid, Timestamp.format(span.first.created), Timestamp.format(span.last.created), Int64(span.count),
                span.uid, span.first[.url], span.first[.last], span.first[.source], span.first[.medium],
                span.first[.campaign], span.first[.country],
            ])
        }
        for (key, span) in batch.sessions {
            try run(statements.session, [
                key.site, key.sid, span.first[.vid], Timestamp.format(span.first.created), Timestamp.format(span.last.created),
                Int64(span.count), span.first[.url], span.last[.url], span.first[.last], span.first[.source],
                span.first[.medium], span.first[.campaign],
            ])
        }
        for (key, count) in batch.dailyEvents {
            try run(statements.dailyEvents, [key.site, key.day, key.name, Int64(count)])
        }
        for key in batch.dailyVisitors {
            try run(statements.dailyVisitor, [key.site, key.day, key.vid])
        }
    }

    static func run(_ statement: SQLiteStatement, _ values: [(any Sendable)?]) throws(StorageError) {
        defer { statement.reset() }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case let text as String: statement.bind(position, text)
            case let number as Int64: statement.bind(position, number)
            default: statement.bind(position, nil as String?)
            }
        }
        _ = try statement.step()
    }
}
