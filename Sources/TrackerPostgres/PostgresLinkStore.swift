import Foundation
import PostgresNIO
import TrackerStorage

/// Links and keys in PostgreSQL, so every node shares them; hit counts are added in one statement
/// per batch, so concurrent nodes never lose an increment.
extension PostgresEventStore: LinkStore {
    public func saveLink(_ link: ShortLink) async throws(StorageError) {
        let fields = LinkEncoding.fields(link.fields)
        try await mapped { [self] in
            try await client.query("""
                INSERT INTO links (host, slug, target, fields, permanent, updated, updater)
                VALUES (\(link.host), \(link.slug), \(link.target), \(fields)::jsonb, \(link.permanent), \(link.updated), \(link.updater))
                ON CONFLICT (host, slug) DO UPDATE SET target = excluded.target, fields = excluded.fields,
                    permanent = excluded.permanent, updated = excluded.updated, updater = excluded.updater
                """, logger: logger)
        }
    }

    public func deleteLink(host: String, slug: String) async throws(StorageError) -> Bool {
        let (host, slug) = (host.lowercased(), slug.lowercased())
        return try await mapped { [self] in
            var found = false
            for try await _ in try await client.query("DELETE FROM links WHERE host = \(host) AND slug = \(slug) RETURNING 1",
                                                      logger: logger) { found = true }
            return found
        }
    }

    public func link(host: String, slug: String) async throws(StorageError) -> CountedLink? {
        let (host, slug) = (host.lowercased(), slug.lowercased())
        return try await mapped { [self] in
            let rows = try await client.query("\(unescaped: Self.linkColumns) WHERE host = \(host) AND slug = \(slug)", logger: logger)
            for try await row in rows { return try Self.counted(row) }
            return nil
        }
    }

    public func links(hosts: [String]?) async throws(StorageError) -> [CountedLink] {
        let wanted = hosts?.map { $0.lowercased() }
        return try await mapped { [self] in
            let rows = if let wanted {
                try await client.query("\(unescaped: Self.linkColumns) WHERE host = ANY(\(wanted)) ORDER BY host, slug", logger: logger)
            } else {
                try await client.query("\(unescaped: Self.linkColumns) ORDER BY host, slug", logger: logger)
            }
            var out: [CountedLink] = []
            for try await row in rows { out.append(try Self.counted(row)) }
            return out
        }
    }

    public func countHits(_ hits: [LinkKey: Int]) async throws(StorageError) {
        guard !hits.isEmpty else { return }
        let keys = hits.sorted { ($0.key.host, $0.key.slug) < ($1.key.host, $1.key.slug) }
        let hosts = keys.map(\.key.host), slugs = keys.map(\.key.slug), counts = keys.map { Int64($0.value) }
        try await mapped { [self] in
            try await client.query("""
                UPDATE links SET hits = links.hits + c.n
                FROM unnest(\(hosts)::text[], \(slugs)::text[], \(counts)::bigint[]) AS c(host, slug, n)
                WHERE links.host = c.host AND links.slug = c.slug
                """, logger: logger)
        }
    }

    static let linkColumns = "SELECT host, slug, target, fields::text, permanent, updated, updater, hits FROM links"

    static func counted(_ row: PostgresRow) throws -> CountedLink {
        let (host, slug, target, fields, permanent, updated, updater, hits) =
            try row.decode((String, String, String, String, Bool, Date, String, Int64).self)
        return CountedLink(link: ShortLink(host: host, slug: slug, target: target, fields: LinkEncoding.fields(fields),
                                           permanent: permanent, updated: updated, updater: updater),
                           hits: Int(hits))
    }

    public func saveKey(_ key: APIKey) async throws(StorageError) {
        let sites = LinkEncoding.sites(key.sites)
        try await mapped { [self] in
            try await client.query("""
                INSERT INTO api_keys (id, secret_hash, name, sites, created)
                VALUES (\(key.id), \(key.secretHash), \(key.name), \(sites)::jsonb, \(key.created))
                ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, name = excluded.name,
                    sites = excluded.sites, created = excluded.created
                """, logger: logger)
        }
    }

    public func key(id: String) async throws(StorageError) -> APIKey? {
        try await selectKeys(id).first
    }

    public func keys() async throws(StorageError) -> [APIKey] {
        try await selectKeys(nil)
    }

    func selectKeys(_ id: String?) async throws(StorageError) -> [APIKey] {
        try await mapped { [self] in
            let columns = "SELECT id, secret_hash, name, sites::text, created FROM api_keys"
            let rows = if let id {
                try await client.query("\(unescaped: columns) WHERE id = \(id)", logger: logger)
            } else {
                try await client.query("\(unescaped: columns) ORDER BY id", logger: logger)
            }
            var out: [APIKey] = []
            for try await (id, hash, name, sites, created) in rows.decode((String, String, String, String, Date).self) {
                out.append(APIKey(id: id, secretHash: hash, name: name, sites: LinkEncoding.sites(sites), created: created))
            }
            return out
        }
    }

    public func deleteKey(id: String) async throws(StorageError) -> Bool {
        try await mapped { [self] in
            var found = false
            for try await _ in try await client.query("DELETE FROM api_keys WHERE id = \(id) RETURNING 1", logger: logger) { found = true }
            return found
        }
    }

    public func saveAccount(uid: String, passwordHash: String) async throws(StorageError) {
        try await mapped { [self] in
            try await client.query("""
                INSERT INTO accounts (uid, password_hash) VALUES (\(uid), \(passwordHash))
                ON CONFLICT (uid) DO UPDATE SET password_hash = excluded.password_hash
                """, logger: logger)
        }
    }

    public func accountPasswordHash(uid: String) async throws(StorageError) -> String? {
        try await mapped { [self] in
            for try await hash in try await client.query("SELECT password_hash FROM accounts WHERE uid = \(uid)", logger: logger)
                .decode(String.self) { return hash }
            return nil
        }
    }
}
