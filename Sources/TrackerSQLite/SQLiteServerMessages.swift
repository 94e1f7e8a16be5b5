import Foundation
import TrackerCore
import TrackerStorage

/// Server messages in the embedded store, one transaction per batch on the writer connection.
extension SQLiteEventStore: ServerMessageStore {
    public func record(_ batch: ServerMessageBatch) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        try await write { (connection) throws(StorageError) in
            try connection.execute("BEGIN IMMEDIATE")
            do throws(StorageError) {
                try Self.write(batch, connection)
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    static func write(_ batch: ServerMessageBatch, _ connection: SQLiteConnection) throws(StorageError) {
        let counter = try connection.prepare("INSERT INTO counters (id, total) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET total = total + excluded.total")
        for (id, count) in batch.increments.sorted(by: { $0.key < $1.key }) {
            counter.reset()
            counter.bind(1, id)
            counter.bind(2, Int64(count))
            _ = try counter.step()
        }
        let update = try connection.prepare("""
            INSERT INTO updates (id, updated, msg) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET updated = excluded.updated, msg = excluded.msg
            """)
        for item in batch.updates {
            update.reset()
            update.bind(1, item.id)
            update.bind(2, Timestamp.format(item.updated))
            update.bind(3, item.msg)
            _ = try update.step()
        }
        let log = try connection.prepare("""
            INSERT OR IGNORE INTO logs (id, created, ldate, ltime, topic, name, host, hostname, owner, ip, level, msg, params)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for line in batch.logs {
            log.reset()
            log.bind(1, line.id)
            log.bind(2, Timestamp.format(line.created))
            log.bind(3, line.ldate)
            log.bind(4, line.ltime)
            log.bind(5, line.topic)
            log.bind(6, line.name)
            log.bind(7, line.host)
            log.bind(8, line.hostname)
            log.bind(9, line.owner)
            log.bind(10, line.ip)
            log.bind(11, line.level.map(Int64.init))
            log.bind(12, line.msg)
            log.bind(13, line.params)
            _ = try log.step()
        }
    }

    public func counters() async throws(StorageError) -> [String: Int] {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("SELECT id, total FROM counters")
            var out: [String: Int] = [:]
            while try statement.step() {
                if let id = statement.text(0) { out[id] = Int(statement.int64(1) ?? 0) }
            }
            return out
        }
    }

    public func updates() async throws(StorageError) -> [ServerUpdate] {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("SELECT id, updated, msg FROM updates ORDER BY id")
            var out: [ServerUpdate] = []
            while try statement.step() {
                guard let id = statement.text(0), let updated = statement.text(1).flatMap(Timestamp.parse) else { continue }
                out.append(ServerUpdate(id: id, updated: updated, msg: statement.text(2)))
            }
            return out
        }
    }

    public func logs(limit: Int) async throws(StorageError) -> [ServerLog] {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("""
                SELECT id, created, ldate, ltime, topic, name, host, hostname, owner, ip, level, msg, params
                FROM (SELECT * FROM logs ORDER BY created DESC, id DESC LIMIT ?) ORDER BY created, id
                """)
            statement.bind(1, Int64(limit))
            var out: [ServerLog] = []
            while try statement.step() {
                guard let id = statement.text(0), let created = statement.text(1).flatMap(Timestamp.parse) else { continue }
                var line = ServerLog(id: id, created: created)
                line.ldate = statement.text(2)
                line.ltime = statement.int64(3)
                line.topic = statement.text(4)
                line.name = statement.text(5)
                line.host = statement.text(6)
                line.hostname = statement.text(7)
                line.owner = statement.text(8)
                line.ip = statement.text(9)
                line.level = statement.int64(10).map(Int.init)
                line.msg = statement.text(11)
                line.params = statement.text(12)
                out.append(line)
            }
            return out
        }
    }
}
