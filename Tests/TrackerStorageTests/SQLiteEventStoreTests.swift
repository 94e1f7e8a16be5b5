import Foundation
import SQLite3
import Testing
import TrackerCore
@testable import TrackerSQLite
import TrackerStorage
import TrackerTesting

@Suite struct SQLiteEventStoreTests {
    @Test(arguments: EventStoreConformance.names)
    func conformance(_ check: String) async throws {
        let directory = TemporaryDirectory("sqlite-conformance")
        defer { directory.remove() }
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"))
        try await EventStoreConformance.checks[check]!(store)
    }

    /// With `.full` the writer commits without fsync and the log is synced apart (the ingest
    /// queue's sync thread); with `.normal` nothing is synced per commit.
    @Test func fullDurabilitySyncsTheLogApartFromCommits() async throws {
        let directory = TemporaryDirectory("sqlite-sync")
        defer { directory.remove() }
        for durability in SQLiteEventStore.Durability.allCases {
            let store = try SQLiteEventStore(path: directory.file("tracker-\(durability).sqlite"), durability: durability)
            let synchronous = try store.writer.runSync { (connection) throws(StorageError) in
                let statement = try connection.prepare("PRAGMA synchronous")
                _ = try statement.step()
                return statement.int64(0)
            }
            #expect(synchronous == 1, "NORMAL: no fsync inside COMMIT")
            #expect(store.syncsSeparately == (durability == .full))
            try store.appendCommitted([EventBuilder.event(1)])
            try store.syncCommitted()
            try await store.append([EventBuilder.event(2)])
            #expect(try await store.count(EventQuery()) == 2)
            #expect((store.walSync?.openInode ?? 0) != 0 || durability == .normal, "the log was synced")
        }
    }

    /// The log is found again when SQLite replaced it (it removes it when its last connection
    /// closes); a missing log is an error, not a silent success.
    @Test func theLogIsReopenedWhenReplacedAndMissingIsAnError() throws {
        let directory = TemporaryDirectory("sqlite-walsync")
        defer { directory.remove() }
        let database = directory.file("db")
        let sync = WALSync(databasePath: database)
        #expect(throws: StorageError.self) { try sync.sync() }
        FileManager.default.createFile(atPath: database + "-wal", contents: Data("first".utf8))
        try sync.sync()
        let first = sync.openInode
        #expect(first != 0)
        try sync.sync()
        #expect(sync.openInode == first)
        // A new file under the name while the old one is still open elsewhere gets a new inode.
        let keep = FileHandle(forReadingAtPath: database + "-wal")
        try FileManager.default.removeItem(atPath: database + "-wal")
        FileManager.default.createFile(atPath: database + "-wal", contents: Data("second".utf8))
        try sync.sync()
        #expect(sync.openInode != first)
        try keep?.close()
        try FileManager.default.removeItem(atPath: database + "-wal")
        #expect { try sync.sync() } throws: { ($0 as? StorageError).map { "\($0)".contains("missing") } ?? false }
    }

    @Test func theWritersPageCacheHasTheConfiguredSize() throws {
        let directory = TemporaryDirectory("sqlite-cache")
        defer { directory.remove() }
        for (bytes, kib) in [(SQLiteEventStore.defaultCacheBytes, 65_536), (16 << 20, 16_384), (0, 1024)] {
            let store = try SQLiteEventStore(path: directory.file("tracker-\(bytes).sqlite"), cacheBytes: bytes)
            let size = try store.writer.runSync { (connection) throws(StorageError) in
                let statement = try connection.prepare("PRAGMA cache_size")
                _ = try statement.step()
                return statement.int64(0)
            }
            #expect(size == -Int64(kib), "negative: KiB")
        }
    }


    /// SQLite counts no allocations (each count took a process-wide lock): with its statistics
    /// off, the memory it reports in use stays zero while a store writes.
    @Test func sqliteKeepsNoMemoryStatistics() async throws {
        let directory = TemporaryDirectory("sqlite-memstatus")
        defer { directory.remove() }
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"))
        try await store.append([Event(eid: "memstatus", created: Date(), text: [.url: String(repeating: "x", count: 5000)])])
        #expect(sqlite3_memory_used() == 0)
        #expect(try await store.count(EventQuery()) == 1)
    }
    /// An insert is prepared for each set of fields seen, up to `WriterStatements.maxShapes`;
    /// events of further sets go through the insert of every column, and come back the same.
    @Test func eventsOfMoreShapesThanAreKeptStillRoundTrip() async throws {
        let directory = TemporaryDirectory("sqlite-shapes")
        defer { directory.remove() }
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"))
        let fields = EventField.allCases
        var all: [Event] = []
        for n in 0..<(WriterStatements.maxShapes + 20) {
            var event = EventBuilder.sparse(n, at: Double(n))
            event[fields[n % fields.count]] = "value-\(n)"
            if n >= fields.count { event[fields[(n * 7) % fields.count]] = "other-\(n)" }
            if n % 3 == 0 { event[.w] = Double(n) }
            try await store.append([event])
            all.append(event)
        }
        #expect(Set(all.map { EventShape($0) }).count > WriterStatements.maxShapes)
        #expect(try await store.events(EventQuery(limit: 1000)) == all)
    }

    /// Text of every kind comes back byte for byte, a NUL included (it once cut the value short).
    @Test func textOfAnyKindIsStoredExactly() async throws {
        let directory = TemporaryDirectory("sqlite-text")
        defer { directory.remove() }
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"))
        let values = ["a\u{0}b", "🙂 é ü", "\"quoted\" 'single' \\ back", "", String(repeating: "long ", count: 2000), "short"]
        var events: [Event] = []
        for (index, value) in values.enumerated() {
            var event = EventBuilder.sparse(index)
            event[.ename] = value
            event.params = ["p": value]
            events.append(event)
        }
        try await store.append(events)
        let read = try await store.events(EventQuery())
        #expect(read.map { $0[.ename] } == values.map { Optional($0) })
        #expect(read.map { $0.params["p"] } == values.map { Optional($0) })
    }

    @Test func migratesFromEmptyToHeadOnceAndReportsTheVersion() throws {
        let directory = TemporaryDirectory("sqlite-migrate")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let first = try SQLiteEventStore.migrate(path: path)
        #expect(first.applied == SQLiteMigrations.all.map(\.version))
        #expect(first.version == SQLiteMigrations.latestVersion)
        let second = try SQLiteEventStore.migrate(path: path)
        #expect(second.applied.isEmpty)
        #expect(try query(path, "SELECT count(*) FROM schema_migrations") == ["\(SQLiteMigrations.all.count)"])
    }

    @Test func tablesKeepTheUpstreamColumnNames() async throws {
        let directory = TemporaryDirectory("sqlite-columns")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        _ = try SQLiteEventStore(path: path)
        let columns = Set(try query(path, "SELECT name FROM pragma_table_info('events')"))
        for name in ["eid", "vid", "sid", "uid", "ename", "etyp", "url", "rel", "params", "nparams", "hhash", "created"] {
            #expect(columns.contains(name), "events has no column \(name)")
        }
        #expect(try query(path, "PRAGMA journal_mode") == ["wal"])
    }

    /// The writer's log goes through the coalescing VFS (CSQLiteWAL), and what it gathers reaches
    /// the file within the commit: another connection sees each batch as soon as `append` returns.
    @Test func theWriterCoalescesItsLogAndEachCommitIsReadableAtOnce() async throws {
        let directory = TemporaryDirectory("sqlite-wal-vfs")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        let vfs = try store.writer.runSync { connection in
            var name: UnsafeMutablePointer<CChar>?
            sqlite3_file_control(connection.handle, "main", SQLITE_FCNTL_VFSNAME, &name)
            defer { sqlite3_free(name) }
            return name.map { String(cString: $0) }
        }
        #expect(vfs == "tracker-wal/unix")
        for batch in 0..<40 {
            // Batches of 1 to 118 events: commits of a few frames to well over the 124 KiB written per call.
            try await store.append((0..<(1 + batch * 3)).map { EventBuilder.event(batch * 1000 + $0) })
            let expected = (0...batch).reduce(0) { $0 + 1 + $1 * 3 }
            #expect(try query(path, "SELECT count(*) FROM events") == ["\(expected)"])
        }
        _ = try await store.checkpoint()
        #expect(try query(path, "PRAGMA integrity_check") == ["ok"])
    }

    /// Frames written outside a commit (a transaction larger than the page cache spills to the
    /// log, and reads its pages back from it) and frames of a transaction rolled back stay out of
    /// what other connections and a reopened database see.
    @Test func spilledAndRolledBackFramesLeaveTheLogConsistent() throws {
        let directory = TemporaryDirectory("sqlite-wal-spill")
        defer { directory.remove() }
        let path = directory.file("spill.sqlite")
        do {
            let writer = try SQLiteConnection(path: path, coalescingLog: true)
            try writer.execute("PRAGMA journal_mode=WAL")
            try writer.execute("PRAGMA cache_size=20")
            try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
            func insert(_ range: Range<Int>) throws {
                for id in range { try writer.execute("INSERT INTO t VALUES (\(id), printf('%.2000c', 'x') || '\(id)')") }
            }
            try writer.execute("BEGIN")
            try insert(0..<2000)
            try writer.execute("UPDATE t SET body = body || 'u' WHERE id % 7 = 0")
            try writer.execute("COMMIT")
            #expect(try query(path, "SELECT count(*) || ':' || sum(body LIKE '%u') FROM t") == ["2000:286"])
            try writer.execute("BEGIN")
            try insert(2000..<3000)
            try writer.execute("ROLLBACK")
            try writer.execute("BEGIN")
            try insert(3000..<3010)
            try writer.execute("COMMIT")
            #expect(try query(path, "SELECT count(*) FROM t") == ["2010"])
            // The files as a crash would leave them (the writer still open, nothing checkpointed):
            // a copy recovers every commit from the log on disk alone.
            for suffix in ["", "-wal"] { try FileManager.default.copyItem(atPath: path + suffix, toPath: path + ".copy" + suffix) }
            #expect(try query(path + ".copy", "SELECT count(*) || ':' || max(id) FROM t") == ["2010:3009"])
            #expect(try query(path + ".copy", "PRAGMA integrity_check") == ["ok"])
        }
        #expect(try query(path, "SELECT count(*) || ':' || max(id) FROM t") == ["2010:3009"])
    }

    /// Commits land while checkpoints run, as in a server under load. A PASSIVE checkpoint alone
    /// never found the log fully copied, so the log was never restarted and only grew (600 MB in
    /// a minute of benchmark); now it is written from its start again after a checkpoint.
    @Test func theLogIsRestartedWhileCommitsContinue() async throws {
        let directory = TemporaryDirectory("sqlite-wal-restart")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        let padding = String(repeating: "p", count: 2000)
        let rounds = 400, perRound = 40
        let writer = Task {
            for round in 0..<rounds {
                try await store.append((0..<perRound).map { n in
                    var event = EventBuilder.event(round * perRound + n)
                    event.params["padding"] = padding
                    return event
                })
            }
        }
        var largestLog = 0
        while true {
            try await store.checkpoint()
            largestLog = max(largestLog, (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0)
            if try await store.count(EventQuery()) == rounds * perRound { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await writer.value
        let database = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        print("log restart: database \(database >> 20) MiB, largest log \(largestLog >> 20) MiB")
        #expect(database > 40 << 20, "the events were written (\(database) bytes)")
        #expect(largestLog < database / 2, "the log reached \(largestLog) bytes for a \(database)-byte database")
    }

    @Test func checkpointsMoveTheLogIntoTheDatabaseAndTruncateEmptiesIt() async throws {
        let directory = TemporaryDirectory("sqlite-checkpoint")
        defer { directory.remove() }
        let path = directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        try await store.append((1...500).map { EventBuilder.event($0) })
        let wal = path + "-wal"
        let before = try #require(FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int)
        #expect(before > 0, "commits go to the write-ahead log, not the database file")
        #expect(try await store.checkpoint() == 0)
        #expect(try await store.checkpoint(truncate: true) == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int == 0)
        #expect(try await store.count(EventQuery()) == 500)
    }

    @Test func aFullStoreRefusesTheBatchAsFullAndKeepsWhatWasCommitted() async throws {
        let directory = TemporaryDirectory("sqlite-full")
        defer { directory.remove() }
        // The quota gives the same SQLITE_FULL a full disk gives.
        let store = try SQLiteEventStore(path: directory.file("tracker.sqlite"), maxDatabaseBytes: 256 * 1024)
        try await store.append([EventBuilder.event(1)])
        await #expect {
            try await store.append((2...2000).map { EventBuilder.event($0) })
        } throws: { error in
            if case StorageError.full = error { return true }
            return false
        }
        #expect(try await store.count(EventQuery()) == 1)
        try await store.append([EventBuilder.event(2)])
        #expect(try await store.count(EventQuery()) == 2)
    }

    func query(_ path: String, _ sql: String) throws -> [String] {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StorageError.unavailable("open") }
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StorageError.invalid(String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL")
        }
        return rows
    }
}
