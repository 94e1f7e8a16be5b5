import TrackerStorage

/// Numbered schema steps, applied in order and recorded in `schema_migrations`. Every statement is
/// `IF NOT EXISTS`, so nodes that start together and race apply them harmlessly (ClickHouse has
/// no transactions or locks to do better).
enum ClickHouseMigrations {
    static let all: [(version: Int, sql: String)] = [
        (1, String(decoding: PackageResources._001_events_sql, as: UTF8.self)),
    ]

    /// Applies what is missing; returns the versions applied now.
    static func apply(_ client: ClickHouseClient) async throws(StorageError) -> [Int] {
        try await client.execute("CREATE DATABASE IF NOT EXISTS \(client.database)")
        try await client.execute("""
            CREATE TABLE IF NOT EXISTS \(client.table("schema_migrations")) (version UInt32, applied DateTime)
            ENGINE = ReplacingMergeTree() ORDER BY version
            """)
        let done = Set(try await client.rows("SELECT version FROM \(client.table("schema_migrations")) FINAL")
            .compactMap { $0["version"]?.number.map(Int.init) })
        var applied: [Int] = []
        for (version, sql) in all where !done.contains(version) {
            for statement in statements(sql) {
                try await client.execute(statement.replacingOccurrences(of: "{events}", with: client.table("events")))
            }
            try await client.execute("INSERT INTO \(client.table("schema_migrations")) (version, applied) VALUES (\(version), now())")
            applied.append(version)
        }
        return applied
    }

    /// The file's statements, without its comment lines.
    static func statements(_ sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("--") }
        return lines.joined(separator: "\n").split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }
}
