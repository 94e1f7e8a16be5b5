import Foundation
import TrackerCore
import TrackerStorage

/// The writer connection's prepared statements, used only on its queue.
final class WriterStatements: @unchecked Sendable {
    let insert: RowChunks
    /// The buffer every statement's text is bound from (emptied by each `step`).
    let text = BoundText()
    let visitor: RowChunks
    let session: RowChunks
    let dailyEvents: RowChunks
    let dailyVisitor: RowChunks
    let rollupCursor: SQLiteStatement
    let setRollupCursor: SQLiteStatement
    let lastSeq: SQLiteStatement

    /// Inserts of the shapes seen so far (`EventShape`), up to `maxShapes`; past that, and for
    /// batches that mix shapes, `insert` takes every column.
    private var shapes: [EventShape: RowChunks] = [:]
    static let maxShapes = 64

    /// The insert for events of this shape, prepared on first use; nil once `maxShapes` are kept.
    func insert(for shape: EventShape, on connection: SQLiteConnection) throws(StorageError) -> RowChunks? {
        if let chunks = shapes[shape] { return chunks }
        guard shapes.count < Self.maxShapes else { return nil }
        let columns = shape.columns
        let chunks = try RowChunks(connection, head: "INSERT OR IGNORE INTO events (\(columns.joined(separator: ", ")))",
                                   width: columns.count)
        shapes[shape] = chunks
        return chunks
    }

    init(_ connection: SQLiteConnection) throws(StorageError) {
        insert = try RowChunks(connection, head: EventRowMapping.insertHead, width: EventRowMapping.columns.count)
        visitor = try RowChunks(connection, head: SQLiteRollupWriter.visitorHead, width: 12, tail: SQLiteRollupWriter.visitorTail)
        session = try RowChunks(connection, head: SQLiteRollupWriter.sessionHead, width: 12, tail: SQLiteRollupWriter.sessionTail)
        dailyEvents = try RowChunks(connection, head: SQLiteRollupWriter.dailyEventsHead, width: 4, tail: SQLiteRollupWriter.dailyEventsTail)
        dailyVisitor = try RowChunks(connection, head: SQLiteRollupWriter.dailyVisitorHead, width: 3)
        rollupCursor = try connection.prepare("SELECT last_seq FROM rollup_cursor WHERE id = 1", persistent: true)
        setRollupCursor = try connection.prepare("UPDATE rollup_cursor SET last_seq = ? WHERE id = 1", persistent: true)
        lastSeq = try connection.prepare("SELECT coalesce(max(seq), 0) FROM events", persistent: true)
    }
}

/// Writes a `RollupBatch` as upserts that merge with what earlier batches stored.
enum SQLiteRollupWriter {
    // Upserts of several rows (`RowChunks`): a batch's keys are distinct, so no row of one
    // statement conflicts with another of the same statement, only with what is stored.
    static let visitorHead = "INSERT INTO visitors (hhash, vid, first_seen, last_seen, events, uid, first_url, referrer, source, medium, campaign, country)"
    static let visitorTail = """
        ON CONFLICT (hhash, vid) DO UPDATE SET
            first_url = CASE WHEN excluded.first_seen < first_seen THEN excluded.first_url ELSE first_url END,
            referrer = CASE WHEN excluded.first_seen < first_seen THEN excluded.referrer ELSE referrer END,
            first_seen = min(first_seen, excluded.first_seen),
            last_seen = max(last_seen, excluded.last_seen),
            events = events + excluded.events,
            uid = coalesce(excluded.uid, uid)
        """

    static let sessionHead = "INSERT INTO sessions (hhash, sid, vid, started, ended, events, entry_url, exit_url, referrer, source, medium, campaign)"
    static let sessionTail = """
        ON CONFLICT (hhash, sid) DO UPDATE SET
            exit_url = CASE WHEN excluded.ended >= ended THEN coalesce(excluded.exit_url, exit_url) ELSE exit_url END,
            entry_url = CASE WHEN excluded.started < started THEN excluded.entry_url ELSE entry_url END,
            started = min(started, excluded.started),
            ended = max(ended, excluded.ended),
            events = events + excluded.events
        """

    static let dailyEventsHead = "INSERT INTO daily_events (hhash, day, ename, events)"
    static let dailyEventsTail = "ON CONFLICT (hhash, day, ename) DO UPDATE SET events = events + excluded.events"

    static let dailyVisitorHead = "INSERT OR IGNORE INTO daily_visitors (hhash, day, vid)"

    /// Values are bound with their own types, not through an array of existentials, and text from
    /// one buffer (`BoundText`): this runs for every new visitor, session and day on the commit
    /// thread. Events are read where they are (passed on, not bound to locals, which copied them).
    static func write(_ batch: RollupBatch, _ statements: WriterStatements) throws(StorageError) {
        try batch.events.withUnsafeBufferPointer { (events) throws(StorageError) in
            try statements.visitor.write(batch.visitors.entries, text: statements.text) { entry, at, statement in
                bindVisitor(entry.key, entry.value, first: events[entry.value.first], last: events[entry.value.last],
                            at: at, statement, statements.text)
            }
            try statements.session.write(batch.sessions.entries, text: statements.text) { entry, at, statement in
                bindSession(entry.key, entry.value, first: events[entry.value.first], last: events[entry.value.last],
                            at: at, statement, statements.text)
            }
        }
        let text = statements.text
        try statements.dailyEvents.write(batch.dailyEvents, text: text) { entry, at, statement in
            text.add(at + 1, entry.key.site)
            text.add(at + 2, entry.key.day)
            text.add(at + 3, entry.key.name)
            statement.bind(at + 4, Int64(entry.value))
        }
        try statements.dailyVisitor.write(batch.dailyVisitorKeys, text: text) { key, at, _ in
            text.add(at + 1, key.site)
            text.add(at + 2, key.day)
            text.add(at + 3, key.vid)
        }
    }

    static func bindVisitor(_ key: RollupBatch.VisitorKey, _ span: RollupBatch.Span, first: Event, last: Event,
                            at: Int32, _ statement: SQLiteStatement, _ text: BoundText) {
        text.add(at + 1, key.site)
        text.add(at + 2, key.vid)
        text.add(at + 3, first.created)
        text.add(at + 4, last.created)
        statement.bind(at + 5, Int64(span.count))
        text.add(at + 6, span.uid)
        text.add(at + 7, first[.url])
        addAcquisition(of: first, from: at + 8, to: text)
        text.add(at + 12, first[.country])
    }

    static func bindSession(_ key: RollupBatch.SessionKey, _ span: RollupBatch.Span, first: Event, last: Event,
                            at: Int32, _ statement: SQLiteStatement, _ text: BoundText) {
        text.add(at + 1, key.site)
        text.add(at + 2, key.sid)
        text.add(at + 3, first[.vid])
        text.add(at + 4, first.created)
        text.add(at + 5, last.created)
        statement.bind(at + 6, Int64(span.count))
        text.add(at + 7, first[.url])
        text.add(at + 8, last[.url])
        addAcquisition(of: first, from: at + 9, to: text)
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
