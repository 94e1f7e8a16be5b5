import TrackerCore
import TrackerStorage

/// The rollups of the events last committed, written in a transaction of their own after the
/// events' one: the ingest queue writes them while the events' log is being fsynced
/// (`SQLiteEventStore.finishCommitted`), when the core would otherwise wait for the disk with
/// every request of the batch. In the events' transaction they were on the path of every answer:
/// a pixel from a new visitor adds three rollup rows (visitor, session, visitor of the day), a
/// third of the commit thread's work. `rollup_cursor` says up to which event (seq) the rollups are
/// written; the events past it (committed just before a crash, or when a rollup write failed)
/// are read back and rolled up at the next start or the next write. Used only on the writer's
/// queue.
final class DeferredRollups: @unchecked Sendable {
    /// A committed batch: its events, the places of those inserted (not replays), and the seqs
    /// they took, `after` (the last seq before them) through `through`.
    private var held: (events: [Event], inserted: [Int], after: Int64, through: Int64)?
    /// A write failed: the rollups are made from the events past the cursor instead.
    private var behind = false
    /// Events read back per transaction when catching up.
    static let catchUpChunk = 2000

    /// The rollups of a batch whose events are committed. Even its `RollupBatch` is made later.
    func hold(_ events: [Event], inserted: [Int], after: Int64, through: Int64) {
        guard !behind else { return }
        held = (events, inserted, after, through)
    }

    /// Writes what is held, or catches up from the events when behind. The cursor is read under
    /// the write lock: when it is not where the held batch starts (another process opened the
    /// store and caught up, `tracker export` on a running server's data), the batch is not
    /// written as held but made from the events past the cursor, so none is counted twice.
    func write(_ connection: SQLiteConnection, _ statements: WriterStatements) throws(StorageError) {
        if behind { return try catchUp(connection, statements) }
        guard let (events, inserted, after, through) = held else { return }
        held = nil
        do {
            let caughtUp = try Self.transaction(connection) { () throws(StorageError) -> Bool in
                guard try Self.cursor(statements) == after else { return false }
                var batch = RollupBatch(over: events)
                for index in inserted { batch.add(at: index) }
                try SQLiteRollupWriter.write(batch, statements)
                try Self.setCursor(through, statements)
                return true
            }
            if !caughtUp { try catchUp(connection, statements) }
        } catch {
            behind = true
            throw error
        }
    }

    /// Rolls up every event past the cursor, a chunk per transaction.
    func catchUp(_ connection: SQLiteConnection, _ statements: WriterStatements) throws(StorageError) {
        held = nil
        behind = true
        while try Self.transaction(connection, { () throws(StorageError) -> Bool in
            let cursor = try Self.cursor(statements)
            let select = try connection.prepare(
                "SELECT \(EventRowMapping.selectList), seq FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
            select.bind(1, cursor)
            select.bind(2, Int64(Self.catchUpChunk))
            var events: [Event] = []
            var lastSeq = cursor
            while try select.step() {
                events.append(EventRowMapping.read(select))
                lastSeq = select.int64(Int32(EventRowMapping.columns.count)) ?? lastSeq
            }
            guard !events.isEmpty else { return false }
            var batch = RollupBatch(over: events)
            for index in events.indices { batch.add(at: index) }
            try SQLiteRollupWriter.write(batch, statements)
            try Self.setCursor(lastSeq, statements)
            return true
        }) {}
        behind = false
    }

    static func cursor(_ statements: WriterStatements) throws(StorageError) -> Int64 {
        let statement = statements.rollupCursor
        defer { statement.reset() }
        return try statement.step() ? statement.int64(0) ?? 0 : 0
    }

    static func setCursor(_ seq: Int64, _ statements: WriterStatements) throws(StorageError) {
        let statement = statements.setRollupCursor
        defer { statement.reset() }
        statement.bind(1, seq)
        _ = try statement.step()
    }

    /// The last event's seq, read inside the events' transaction, before its inserts.
    static func lastSeq(_ statements: WriterStatements) throws(StorageError) -> Int64 {
        let statement = statements.lastSeq
        defer { statement.reset() }
        return try statement.step() ? statement.int64(0) ?? 0 : 0
    }

    static func transaction<T>(_ connection: SQLiteConnection, _ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        try connection.execute("BEGIN IMMEDIATE")
        do throws(StorageError) {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
