import Foundation
import TrackerCore
import TrackerStorage

/// Server messages in ClickHouse: counter increments summed by SummingMergeTree (and by the
/// query, before merges), the latest update per id by ReplacingMergeTree, logs appended.
extension ClickHouseEventStore: ServerMessageStore {
    public func record(_ batch: ServerMessageBatch) async throws(StorageError) {
        if !batch.increments.isEmpty {
            let rows = batch.increments.sorted { $0.key < $1.key }
                .map { JSONWriter.serialize(.object(["id": .string($0.key), "total": .number(Double($0.value))])) }
            try await client.insert(into: client.table("counters"), rows: Array(rows.joined(separator: "\n").utf8))
        }
        if !batch.updates.isEmpty {
            let rows = batch.updates.map { update in
                JSONWriter.serialize(.object(["id": .string(update.id), "updated": .number(Double(Timestamp.milliseconds(update.updated))),
                                              "msg": update.msg.map { .string($0) } ?? .null]))
            }
            try await client.insert(into: client.table("updates"), rows: Array(rows.joined(separator: "\n").utf8))
        }
        if !batch.logs.isEmpty {
            let rows = batch.logs.map { log -> String in
                var fields: [String: JSONValue] = ["id": .string(log.id), "created": .number(Double(Timestamp.milliseconds(log.created)))]
                fields["ldate"] = log.ldate.map { .string($0) } ?? .null
                fields["ltime"] = log.ltime.map { .number(Double($0)) } ?? .null
                fields["topic"] = log.topic.map { .string($0) } ?? .null
                fields["name"] = log.name.map { .string($0) } ?? .null
                fields["host"] = log.host.map { .string($0) } ?? .null
                fields["hostname"] = log.hostname.map { .string($0) } ?? .null
                fields["owner"] = log.owner.map { .string($0) } ?? .null
                fields["ip"] = log.ip.map { .string($0) } ?? .null
                fields["level"] = log.level.map { .number(Double($0)) } ?? .null
                fields["msg"] = log.msg.map { .string($0) } ?? .null
                fields["params"] = log.params.map { .string($0) } ?? .null
                return JSONWriter.serialize(.object(fields))
            }
            try await client.insert(into: client.table("logs"), rows: Array(rows.joined(separator: "\n").utf8))
        }
    }

    public func counters() async throws(StorageError) -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await client.rows("SELECT id, toString(sum(total)) AS total FROM \(client.table("counters")) GROUP BY id") {
            if let id = row["id"]?.text, let total = row["total"]?.number { out[id] = Int(total) }
        }
        return out
    }

    public func updates() async throws(StorageError) -> [ServerUpdate] {
        try await client.rows("SELECT id, toString(updated) AS updated, msg FROM \(client.table("updates")) FINAL ORDER BY id").compactMap { row in
            guard let id = row["id"]?.text, let ms = row["updated"]?.number else { return nil }
            return ServerUpdate(id: id, updated: Timestamp.date(milliseconds: Int64(ms)), msg: row["msg"]?.text)
        }
    }

    public func logs(limit: Int) async throws(StorageError) -> [ServerLog] {
        let rows = try await client.rows("""
            SELECT id, toString(created) AS created, ldate, toString(ltime) AS ltime, topic, name, host, hostname, owner, ip,
                   level, msg, params
            FROM \(client.table("logs")) FINAL ORDER BY created DESC, id DESC LIMIT \(max(limit, 0))
            """)
        return rows.reversed().compactMap { row in
            guard let id = row["id"]?.text, let created = row["created"]?.number else { return nil }
            var log = ServerLog(id: id, created: Timestamp.date(milliseconds: Int64(created)))
            log.ldate = row["ldate"]?.text
            log.ltime = row["ltime"]?.number.map { Int64($0) }
            log.topic = row["topic"]?.text
            log.name = row["name"]?.text
            log.host = row["host"]?.text
            log.hostname = row["hostname"]?.text
            log.owner = row["owner"]?.text
            log.ip = row["ip"]?.text
            log.level = row["level"]?.number.map { Int($0) }
            log.msg = row["msg"]?.text
            log.params = row["params"]?.text
            return log
        }
    }
}
