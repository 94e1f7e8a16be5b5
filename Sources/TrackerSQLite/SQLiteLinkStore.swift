import Foundation
import TrackerCore
import TrackerStorage

/// Links and keys in the embedded store: writes on the writer connection, reads on the reader.
extension SQLiteEventStore: LinkStore {
    public func saveLink(_ link: ShortLink) async throws(StorageError) {
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("""
                INSERT INTO links (host, slug, target, fields, permanent, updated, updater) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (host, slug) DO UPDATE SET target = excluded.target, fields = excluded.fields,
                    permanent = excluded.permanent, updated = excluded.updated, updater = excluded.updater
                """)
            statement.bind(1, link.host)
            statement.bind(2, link.slug)
            statement.bind(3, link.target)
            statement.bind(4, LinkEncoding.fields(link.fields))
            statement.bind(5, Int64(link.permanent ? 1 : 0))
            statement.bind(6, Timestamp.format(link.updated))
            statement.bind(7, link.updater)
            _ = try statement.step()
        }
    }

    public func deleteLink(host: String, slug: String) async throws(StorageError) -> Bool {
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("DELETE FROM links WHERE host = ? AND slug = ? RETURNING 1")
            statement.bind(1, host.lowercased())
            statement.bind(2, slug.lowercased())
            let found = try statement.step()
            statement.reset()
            return found
        }
    }

    public func link(host: String, slug: String) async throws(StorageError) -> CountedLink? {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("\(Self.linkColumns) WHERE host = ? AND slug = ?")
            statement.bind(1, host.lowercased())
            statement.bind(2, slug.lowercased())
            return try statement.step() ? Self.counted(statement) : nil
        }
    }

    public func links(hosts: [String]?) async throws(StorageError) -> [CountedLink] {
        try await reader.run { (connection) throws(StorageError) in
            var sql = Self.linkColumns
            if let hosts { sql += " WHERE host IN (\(hosts.map { _ in "?" }.joined(separator: ",")))" }
            let statement = try connection.prepare(sql + " ORDER BY host, slug")
            for (i, host) in (hosts ?? []).enumerated() { statement.bind(Int32(i + 1), host.lowercased()) }
            var out: [CountedLink] = []
            while try statement.step() {
                if let link = Self.counted(statement) { out.append(link) }
            }
            return out
        }
    }

    public func countHits(_ hits: [LinkKey: Int]) async throws(StorageError) {
        guard !hits.isEmpty else { return }
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("UPDATE links SET hits = hits + ? WHERE host = ? AND slug = ?")
            for (key, count) in hits {
                statement.reset()
                statement.bind(1, Int64(count))
                statement.bind(2, key.host)
                statement.bind(3, key.slug)
                _ = try statement.step()
            }
        }
    }

    static let linkColumns = "SELECT host, slug, target, fields, permanent, updated, updater, hits FROM links"

    static func counted(_ row: SQLiteStatement) -> CountedLink? {
        guard let host = row.text(0), let slug = row.text(1), let target = row.text(2),
              let updated = row.text(5).flatMap(Timestamp.parse) else { return nil }
        return CountedLink(link: ShortLink(host: host, slug: slug, target: target, fields: LinkEncoding.fields(row.text(3)),
                                           permanent: row.int64(4) == 1, updated: updated, updater: row.text(6) ?? ""),
                           hits: Int(row.int64(7) ?? 0))
    }

    public func saveKey(_ key: APIKey) async throws(StorageError) {
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("""
                INSERT OR REPLACE INTO api_keys (id, secret_hash, name, sites, created) VALUES (?, ?, ?, ?, ?)
                """)
            statement.bind(1, key.id)
            statement.bind(2, key.secretHash)
            statement.bind(3, key.name)
            statement.bind(4, LinkEncoding.sites(key.sites))
            statement.bind(5, Timestamp.format(key.created))
            _ = try statement.step()
        }
    }

    public func key(id: String) async throws(StorageError) -> APIKey? {
        try await selectKeys("WHERE id = ?", id).first
    }

    public func keys() async throws(StorageError) -> [APIKey] {
        try await selectKeys("ORDER BY id", nil)
    }

    func selectKeys(_ clause: String, _ id: String?) async throws(StorageError) -> [APIKey] {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("SELECT id, secret_hash, name, sites, created FROM api_keys \(clause)")
            if let id { statement.bind(1, id) }
            var out: [APIKey] = []
            while try statement.step() {
                guard let id = statement.text(0), let hash = statement.text(1),
                      let created = statement.text(4).flatMap(Timestamp.parse) else { continue }
                out.append(APIKey(id: id, secretHash: hash, name: statement.text(2) ?? "",
                                  sites: LinkEncoding.sites(statement.text(3)), created: created))
            }
            return out
        }
    }

    public func deleteKey(id: String) async throws(StorageError) -> Bool {
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("DELETE FROM api_keys WHERE id = ? RETURNING 1")
            statement.bind(1, id)
            let found = try statement.step()
            statement.reset()
            return found
        }
    }

    public func saveAccount(uid: String, passwordHash: String) async throws(StorageError) {
        try await write { (connection) throws(StorageError) in
            let statement = try connection.prepare("INSERT OR REPLACE INTO accounts (uid, password_hash) VALUES (?, ?)")
            statement.bind(1, uid)
            statement.bind(2, passwordHash)
            _ = try statement.step()
        }
    }

    public func accountPasswordHash(uid: String) async throws(StorageError) -> String? {
        try await reader.run { (connection) throws(StorageError) in
            let statement = try connection.prepare("SELECT password_hash FROM accounts WHERE uid = ?")
            statement.bind(1, uid)
            return try statement.step() ? statement.text(0) : nil
        }
    }
}
