import Foundation
import TrackerCore
import TrackerStorage

/// The embedded default store: one SQLite file in WAL mode. It is also the ack point of the
/// embedded setup: `append` commits one transaction per batch and, with `durability: .full`,
/// SQLite fsyncs the WAL before the commit returns.
public final class SQLiteEventStore: EventStore, BlockingEventSink {
    public enum Durability: String, Sendable, CaseIterable {
        /// fsync on every commit: survives power loss.
        case full
        /// fsync at checkpoints only: survives a crash of the process, not of the machine.
        case normal
    }

    public let path: String
    let writer: ConfinedConnection
    let reader: ConfinedConnection
    let insert: StatementBox

    /// `maxDatabaseBytes` is the store's disk quota: past it appends fail with `.full` (and the
    /// server answers 503) instead of filling the disk.
    public init(path: String, durability: Durability = .full, maxDatabaseBytes: Int? = nil) throws(StorageError) {
        self.path = path
        writer = try ConfinedConnection(path: path, label: "tracker.sqlite.writer") { (connection) throws(StorageError) in
            try connection.execute("PRAGMA journal_mode=WAL")
            if let maxDatabaseBytes {
                try connection.execute("PRAGMA max_page_count=\(max(16, maxDatabaseBytes / 4096))")
            }
            try connection.execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
            try connection.execute("PRAGMA busy_timeout=5000")
            _ = try SQLiteMigrations.apply(to: connection, now: Date())
        }
        insert = try writer.runSync { (connection) throws(StorageError) in
            StatementBox(try connection.prepare(EventRowMapping.insertSQL, persistent: true))
        }
        reader = try ConfinedConnection(path: path, label: "tracker.sqlite.reader") { (connection) throws(StorageError) in
            try connection.execute("PRAGMA busy_timeout=5000")
            try connection.execute("PRAGMA query_only=1")
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
        let insert = self.insert
        try await writer.run { (connection) throws(StorageError) in
            try Self.insert(events, connection: connection, statement: insert.statement)
        }
    }

    /// The ingest thread's path: no hop through the concurrency pool.
    public func appendBlocking(_ events: [Event]) throws(StorageError) {
        guard !events.isEmpty else { return }
        let insert = self.insert
        try writer.runSync { (connection) throws(StorageError) in
            try Self.insert(events, connection: connection, statement: insert.statement)
        }
    }

    static func insert(_ events: [Event], connection: SQLiteConnection, statement: SQLiteStatement) throws(StorageError) {
        try connection.execute("BEGIN IMMEDIATE")
        do throws(StorageError) {
            for event in events {
                EventRowMapping.bind(event, to: statement)
                defer { statement.reset() }
                _ = try statement.step()
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Brings the rollup tables up to date with every committed event, in bounded steps so the
    /// ingest path waits at most one step. Returns how many events were folded in.
    @discardableResult
    public func rollUp(maxRowsPerStep: Int = 20_000) async throws(StorageError) -> Int {
        var total = 0
        while true {
            let folded = try await writer.run { (connection) throws(StorageError) in
                try SQLiteRollups.step(connection, maxRows: maxRowsPerStep)
            }
            total += folded
            if folded < maxRowsPerStep { return total }
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
            // Rolled-up sessions, plus the newest events not yet folded into them.
            let statement = try connection.prepare("""
                SELECT hhash, vid, sid, max(ended) FROM (
                    SELECT hhash, vid, sid, ended FROM sessions WHERE ended >= ?1
                    UNION ALL
                    SELECT coalesce(hhash, ''), vid, sid, created FROM events
                    WHERE created >= ?1 AND vid IS NOT NULL AND sid IS NOT NULL
                      AND seq > (SELECT last_seq FROM rollup_cursor WHERE name = 'rollups'))
                GROUP BY 1, 2 ORDER BY 4
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

/// The cached insert statement, used only on the writer's queue.
final class StatementBox: @unchecked Sendable {
    let statement: SQLiteStatement
    init(_ statement: SQLiteStatement) { self.statement = statement }
}
