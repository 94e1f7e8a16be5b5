import Foundation
import TrackerCore
import TrackerStorage

/// The embedded default store: one SQLite file in WAL mode. It is also the ack point of the
/// embedded setup: `append` commits one transaction per batch and, with `durability: .full`,
/// returns once the log is synced (`WALSync`); the ingest queue commits and syncs as separate
/// steps so that the next batch is committed while the last one is synced.
public final class SQLiteEventStore: EventStore, SeparatelySyncedSink {
    public enum Durability: String, Sendable, CaseIterable {
        /// fsync on every commit: survives power loss.
        case full
        /// fsync at checkpoints only: survives a crash of the process, not of the machine.
        case normal
    }

    public let path: String
    /// 64 MiB: loading a realistic data set (`store-bench`, 500 000 events) went from 12 500 to
    /// 17 000 events a second against SQLite's 2 MB; 16 MiB gave most of it, 128 MiB little more.
    public static let defaultCacheBytes = 64 << 20
    let writer: ConfinedConnection
    let reader: ConfinedConnection
    let checkpointer: ConfinedConnection
    let statements: WriterStatements
    /// The rollups of the last batch, written after its events (`finishCommitted`).
    let rollups = DeferredRollups()
    /// Syncs the log after commits with `durability: .full` (nil with `.normal`): the writer
    /// itself commits with `synchronous=NORMAL` either way.
    let walSync: WALSync?

    /// `maxDatabaseBytes` is the store's disk quota: past it appends fail with `.full` (and the
    /// server answers 503) instead of filling the disk.
    /// `cacheBytes`: the writer's page cache. SQLite's default (2 MB) holds the rollup tables'
    /// pages of a few thousand visitors; past that every new visitor read pages back from the file.
    public init(path: String, durability: Durability = .full, maxDatabaseBytes: Int? = nil,
                cacheBytes: Int = defaultCacheBytes) throws(StorageError) {
        self.path = path
        walSync = durability == .full ? WALSync(databasePath: path) : nil
        // Its log frames are written once per commit (CSQLiteWAL), not twice per page.
        writer = try ConfinedConnection(path: path, label: "tracker.sqlite.writer", coalescingLog: true) { (connection) throws(StorageError) in
            try connection.execute("PRAGMA journal_mode=WAL")
            // Checkpoints run on their own connection (see `checkpoint`), not inside a commit that
            // requests are waiting for: that showed as p99 spikes of hundreds of milliseconds.
            try connection.execute("PRAGMA wal_autocheckpoint=0")
            if let maxDatabaseBytes {
                try connection.execute("PRAGMA max_page_count=\(max(16, maxDatabaseBytes / 4096))")
            }
            // No fsync inside COMMIT: with `.full`, `WALSync` syncs after it, apart (see there).
            try connection.execute("PRAGMA synchronous=NORMAL")
            try connection.execute("PRAGMA busy_timeout=5000")
            // After a burst, a restarted log is cut back to this size instead of keeping its peak.
            try connection.execute("PRAGMA journal_size_limit=\(64 << 20)")
            // Negative: a size in KiB rather than a number of pages.
            try connection.execute("PRAGMA cache_size=-\(max(cacheBytes, 1 << 20) >> 10)")
            _ = try SQLiteMigrations.apply(to: connection, now: Date())
        }
        statements = try writer.runSync { (connection) throws(StorageError) in try WriterStatements(connection) }
        // Events committed before a crash, whose rollups were not written yet.
        let (statements, rollups) = (self.statements, self.rollups)
        try writer.runSync { (connection) throws(StorageError) in try rollups.catchUp(connection, statements) }
        reader = try ConfinedConnection(path: path, label: "tracker.sqlite.reader") { (connection) throws(StorageError) in
            try connection.execute("PRAGMA busy_timeout=5000")
            try connection.execute("PRAGMA query_only=1")
        }
        checkpointer = try ConfinedConnection(path: path, label: "tracker.sqlite.checkpoint") { (connection) throws(StorageError) in
            try connection.execute("PRAGMA busy_timeout=5000")
        }
    }

    /// Applies missing migrations and returns what it applied (`tracker migrate`).
    public static func migrate(path: String) throws(StorageError) -> (applied: [Int], version: Int) {
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode=WAL")
        let applied = try SQLiteMigrations.apply(to: connection, now: Date())
        return (applied, try SQLiteMigrations.currentVersion(connection))
    }

    public func append(_ events: [Event]) async throws(StorageError) {
        guard !events.isEmpty else { return }
        let (statements, rollups) = (self.statements, self.rollups)
        try await write { (connection) throws(StorageError) in
            try Self.insert(events, connection: connection, statements: statements, rollups: rollups)
            // The events are in: a rollup write that fails (a full disk) is made again later
            // from the events (`DeferredRollups`), and must not fail the batch.
            try? rollups.write(connection, statements)
        }
    }

    /// Work on the writer connection whose commits are durable when it returns.
    func write<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws(StorageError) -> T) async throws(StorageError) -> T {
        let walSync = self.walSync
        return try await writer.run { (connection) throws(StorageError) -> T in
            let result = try work(connection)
            try walSync?.sync()
            return result
        }
    }

    public func appendBlocking(_ events: [Event]) throws(StorageError) {
        try appendCommitted(events)
        try? finishCommitted()
        try syncCommitted()
    }

    public var syncsSeparately: Bool { walSync != nil }

    /// The ingest thread's path: no hop through the concurrency pool, and no wait for the disk
    /// (the queue's sync thread calls `syncCommitted` before answering).
    public func appendCommitted(_ events: [Event]) throws(StorageError) {
        guard !events.isEmpty else { return }
        let (statements, rollups) = (self.statements, self.rollups)
        try writer.runSync { (connection) throws(StorageError) in
            try Self.insert(events, connection: connection, statements: statements, rollups: rollups)
        }
    }

    /// The last batch's rollups, in their own transaction: the ingest queue calls this while the
    /// batch's log is being fsynced (`DeferredRollups`). Nothing to sync for them: their cursor
    /// makes them again from the events after a crash.
    public func finishCommitted() throws(StorageError) {
        let (statements, rollups) = (self.statements, self.rollups)
        try writer.runSync { (connection) throws(StorageError) in try rollups.write(connection, statements) }
    }

    public func syncCommitted() throws(StorageError) {
        try walSync?.sync()
    }

    /// One transaction for the events; the rollups of those really inserted (not replays) are
    /// held for their own (`DeferredRollups`). Rollups still held from an earlier batch are
    /// written first, so that they go in the order of their events; failing that, the events
    /// still go in, and their rollups are made from them later.
    static func insert(_ events: [Event], connection: SQLiteConnection, statements: WriterStatements,
                       rollups deferred: DeferredRollups) throws(StorageError) {
        try? deferred.write(connection, statements)
        try connection.execute("BEGIN IMMEDIATE")
        do throws(StorageError) {
            let seqBefore = try DeferredRollups.lastSeq(statements)
            // The places of the events really inserted: only they count in the rollups (a
            // replayed one, same eid, is counted once).
            var inserted: [Int] = []
            inserted.reserveCapacity(events.count)
            let text = statements.text
            func counted(_ chunk: ArraySlice<Event>, _ count: Int) throws(StorageError) {
                // A chunk is a slice of `events`: its indices are the events' places in the batch.
                if count == chunk.count {
                    inserted.append(contentsOf: chunk.indices)
                } else if count > 0 {
                    // A chunk may hold an eid twice: only its first row was inserted.
                    var new = try Self.lastInsertedIDs(count, connection: connection)
                    for index in chunk.indices where new.remove(chunk[index].eid) != nil { inserted.append(index) }
                }
            }
            if let runs = try shapedRuns(events, connection: connection, statements: statements) {
                for (range, chunks) in runs {
                    try chunks.write(events[range], text: text, bind: { event, at, statement in
                        EventRowMapping.bindShaped(event, to: statement, text: text, offset: at)
                    }, done: counted)
                }
            } else {
                try statements.insert.write(events, text: text, bind: { event, at, statement in
                    EventRowMapping.bind(event, to: statement, text: text, offset: at)
                }, done: counted)
            }
            try connection.execute("COMMIT")
            // New rows take the seqs after the highest one, in turn (the writer holds the lock).
            deferred.hold(events, inserted: inserted, after: seqBefore, through: seqBefore + Int64(inserted.count))
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// The batch as runs of events of one shape, each with its shape's insert, in arrival order;
    /// nil when the shapes alternate too often (each run is at least one statement, so short runs
    /// would cost more than the NULL columns they save) or too many shapes were seen.
    static func shapedRuns(_ events: [Event], connection: SQLiteConnection,
                           statements: WriterStatements) throws(StorageError) -> [(Range<Int>, RowChunks)]? {
        guard let first = events.first else { return [] }
        var runs: [(Range<Int>, RowChunks)] = []
        var start = 0
        var shape = EventShape(first)
        for index in 1...events.count {
            let next = index < events.count ? EventShape(events[index]) : nil
            guard next != shape else { continue }
            guard runs.count < max(1, events.count / 8),
                  let chunks = try statements.insert(for: shape, on: connection) else { return nil }
            runs.append((start..<index, chunks))
            if let next { (start, shape) = (index, next) }
        }
        return runs
    }

    /// The eids of the last `count` rows inserted. New rows take the highest seq, so within the
    /// writer's transaction they are the last `count` rows; asked only when a chunk held
    /// duplicates, rare (a replay).
    static func lastInsertedIDs(_ count: Int, connection: SQLiteConnection) throws(StorageError) -> Set<String> {
        let statement = try connection.prepare("SELECT eid FROM events ORDER BY seq DESC LIMIT ?")
        statement.bind(1, Int64(count))
        var ids = Set<String>()
        while try statement.step() { ids.insert(statement.text(0) ?? "") }
        return ids
    }

    /// The log size (in frames: 16 MiB of 4 KiB pages) past which a checkpoint restarts it.
    static let restartFrames = 4096

    /// Copies committed WAL frames into the database file so that the next commit writes the log
    /// from its start again; with `truncate` (at shutdown) it also empties the log file. Returns
    /// the WAL frames still to copy.
    ///
    /// A `PASSIVE` checkpoint alone never lets the log restart under steady writes (commits land
    /// while it copies, so it never finds the log fully copied): the log grew without bound (600 MB
    /// in a minute of benchmark) and every commit paid for extending the file, a fifth of the
    /// pixel's throughput. So `PASSIVE` copies the bulk without blocking anyone, then, once the log
    /// holds more than `restartFrames`, `RESTART` copies the few frames committed meanwhile,
    /// holding new commits only for those.
    @discardableResult
    public func checkpoint(truncate: Bool = false) async throws(StorageError) -> Int {
        try await checkpointer.run { (connection) throws(StorageError) in
            func checkpoint(_ mode: String) throws(StorageError) -> (frames: Int, remaining: Int) {
                // RESTART holds new commits while it waits for readers: it gives up after a moment
                // (the next checkpoint tries again) rather than stall ingestion behind a long
                // query. At shutdown it waits.
                try connection.execute("PRAGMA busy_timeout=\(mode == "RESTART" ? 50 : 5000)")
                let statement = try connection.prepare("PRAGMA wal_checkpoint(\(mode))")
                _ = try statement.step()
                let frames = Int(statement.int64(1) ?? 0)
                return (frames, frames - Int(statement.int64(2) ?? 0))
            }
            if truncate { return try checkpoint("TRUNCATE").remaining }
            let passive = try checkpoint("PASSIVE")
            // A quiet log restarts by itself (no commit lands while PASSIVE copies); only a log
            // past a few seconds of writes needs RESTART, and only then may a long read delay a
            // commit.
            guard passive.frames >= Self.restartFrames else { return passive.remaining }
            return try checkpoint("RESTART").remaining
        }
    }

    public func events(_ query: EventQuery) async throws(StorageError) -> [Event] {
        try Self.validate(query)
        return try await reader.run { (connection) throws(StorageError) in
            let statement = try Self.prepare(connection, "SELECT \(EventRowMapping.selectList)", query, suffix: " ORDER BY created, eid LIMIT ?")
            var result: [Event] = []
            while try statement.step() { result.append(EventRowMapping.read(statement)) }
            return result
        }
    }

    public func count(_ query: EventQuery) async throws(StorageError) -> Int {
        try Self.validate(query)
        return try await reader.run { (connection) throws(StorageError) in
            let statement = try Self.prepare(connection, "SELECT count(*)", query, suffix: "")
            _ = try statement.step()
            return Int(statement.int64(0) ?? 0)
        }
    }

    public func recentSessions(since: Date) async throws(StorageError) -> [SessionSeed] {
        try await reader.run { (connection) throws(StorageError) in
            // Each visitor's latest session: the sid of their latest event (SQLite takes bare
            // columns from the max(created) row), through the index on created.
            let statement = try connection.prepare("""
                SELECT coalesce(hhash, ''), vid, sid, max(created) FROM events
                WHERE created >= ?1 AND vid IS NOT NULL AND sid IS NOT NULL GROUP BY coalesce(hhash, ''), vid ORDER BY 4
                """)
            statement.bind(1, Timestamp.format(since))
            var result: [SessionSeed] = []
            while try statement.step() {
                guard let vid = statement.text(1), let sid = statement.text(2),
                      let ended = statement.text(3).flatMap(Timestamp.parse) else { continue }
                result.append(SessionSeed(site: statement.text(0) ?? "", vid: vid, sid: sid, lastSeen: ended))
            }
            return result
        }
    }

    static func prepare(_ connection: SQLiteConnection, _ head: String, _ query: EventQuery, suffix: String) throws(StorageError) -> SQLiteStatement {
        let siteClause = query.site == nil ? "" : " AND hhash = ?"
        let statement = try connection.prepare("\(head) FROM events WHERE created >= ? AND created < ?\(siteClause)\(suffix)")
        statement.bind(1, Timestamp.format(max(query.from, Date(timeIntervalSince1970: 0))))
        statement.bind(2, Timestamp.format(min(query.to, Date(timeIntervalSince1970: 253_402_300_799))))
        var next: Int32 = 3
        if let site = query.site { statement.bind(next, site); next += 1 }
        if !suffix.isEmpty { statement.bind(next, Int64(query.limit)) }
        return statement
    }

    static func validate(_ query: EventQuery) throws(StorageError) {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
    }
}


