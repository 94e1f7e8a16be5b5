import Foundation
import PostgresNIO
import TrackerStorage

/// Server messages in PostgreSQL: one transaction per batch; counters add up with an upsert.
extension PostgresEventStore: ServerMessageStore {
    public func record(_ batch: ServerMessageBatch) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        try await mapped { [self] in
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    for (id, count) in batch.increments.sorted(by: { $0.key < $1.key }) {
                        try await connection.query("""
                            INSERT INTO counters (id, total) VALUES (\(id), \(Int64(count)))
                            ON CONFLICT (id) DO UPDATE SET total = counters.total + excluded.total
                            """, logger: logger)
                    }
                    for update in batch.updates {
                        try await connection.query("""
                            INSERT INTO updates (id, updated, msg) VALUES (\(update.id), \(update.updated), \(update.msg))
                            ON CONFLICT (id) DO UPDATE SET updated = excluded.updated, msg = excluded.msg
                            """, logger: logger)
                    }
                    for log in batch.logs {
                        try await connection.query("""
                            INSERT INTO logs (id, created, ldate, ltime, topic, name, host, hostname, owner, ip, level, msg, params)
                            VALUES (\(log.id), \(log.created), \(log.ldate), \(log.ltime), \(log.topic), \(log.name), \(log.host),
                                    \(log.hostname), \(log.owner), \(log.ip), \(log.level.map(Int32.init)), \(log.msg), \(log.params))
                            ON CONFLICT (id) DO NOTHING
                            """, logger: logger)
                    }
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    public func counters() async throws(StorageError) -> [String: Int] {
        try await mapped { [self] in
            var out: [String: Int] = [:]
            for try await (id, total) in try await client.query("SELECT id, total FROM counters", logger: logger).decode((String, Int64).self) {
                out[id] = Int(total)
            }
            return out
        }
    }

    public func updates() async throws(StorageError) -> [ServerUpdate] {
        try await mapped { [self] in
            var out: [ServerUpdate] = []
            for try await (id, updated, msg) in try await client.query("SELECT id, updated, msg FROM updates ORDER BY id", logger: logger)
                .decode((String, Date, String?).self) {
                out.append(ServerUpdate(id: id, updated: updated, msg: msg))
            }
            return out
        }
    }

    public func logs(limit: Int) async throws(StorageError) -> [ServerLog] {
        try await mapped { [self] in
            var out: [ServerLog] = []
            let rows = try await client.query("""
                SELECT id, created, ldate, ltime, topic, name, host, hostname, owner, ip, level, msg, params
                FROM (SELECT * FROM logs ORDER BY created DESC, id DESC LIMIT \(Int64(limit))) recent ORDER BY created, id
                """, logger: logger)
            for try await row in rows {
                let r = row.makeRandomAccess()
                var log = ServerLog(id: try r[0].decode(String.self), created: try r[1].decode(Date.self))
                log.ldate = try r[2].decode(String?.self)
                log.ltime = try r[3].decode(Int64?.self)
                log.topic = try r[4].decode(String?.self)
                log.name = try r[5].decode(String?.self)
                log.host = try r[6].decode(String?.self)
                log.hostname = try r[7].decode(String?.self)
                log.owner = try r[8].decode(String?.self)
                log.ip = try r[9].decode(String?.self)
                log.level = try r[10].decode(Int32?.self).map(Int.init)
                log.msg = try r[11].decode(String?.self)
                log.params = try r[12].decode(String?.self)
                out.append(log)
            }
            return out
        }
    }
}
