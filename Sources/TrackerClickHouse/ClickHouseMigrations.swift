import TrackerStorage

/// Numbered schema steps, applied in order and recorded in `schema_migrations`. Every statement is
/// `IF NOT EXISTS`, so nodes that start together and race apply them harmlessly (ClickHouse has
/// no transactions or locks to do better). Clustered, each step runs on every shard (each holds
/// its local table and the Distributed table in front of all), or once `ON CLUSTER` when the
/// shards' HTTP addresses are not configured (that needs ClickHouse's distributed DDL, ZooKeeper).
enum ClickHouseMigrations {
    struct Step {
        let version: Int
        let sql: String
        /// Skipped on a single server.
        var clusteredOnly = false
        /// The first major version of ClickHouse that runs it; older servers skip it without
        /// recording it, so it runs once they are upgraded.
        var sinceMajor = 0
    }

    static let all: [Step] = [
        Step(version: 1, sql: String(decoding: PackageResources._001_events_sql, as: UTF8.self)),
        Step(version: 2, sql: String(decoding: PackageResources._002_distributed_sql, as: UTF8.self), clusteredOnly: true),
        Step(version: 3, sql: String(decoding: PackageResources._003_server_messages_sql, as: UTF8.self)),
        Step(version: 4, sql: String(decoding: PackageResources._004_modern_types_sql, as: UTF8.self), sinceMajor: 20),
    ]

    /// Applies what is missing; returns the versions applied now.
    static func apply(_ client: ClickHouseClient, layout: ClickHouseLayout) async throws(StorageError) -> [Int] {
        let targets = layout.shards.isEmpty ? [client] : layout.shards
        let onCluster = layout.cluster.map { layout.shards.isEmpty ? " ON CLUSTER \($0)" : "" } ?? ""
        for target in targets { try await target.execute("CREATE DATABASE IF NOT EXISTS \(client.database)\(onCluster)") }
        try await client.execute("""
            CREATE TABLE IF NOT EXISTS \(client.table("schema_migrations")) (version UInt32, applied DateTime)
            ENGINE = ReplacingMergeTree() ORDER BY version
            """)
        let done = Set(try await client.rows("SELECT version FROM \(client.table("schema_migrations")) FINAL")
            .compactMap { $0["version"]?.number.map(Int.init) })
        // The oldest server decides: every shard must understand what a step creates.
        var major = Int.max
        for target in targets { major = min(major, majorVersion(try await target.version())) }
        var applied: [Int] = []
        for step in all where !done.contains(step.version) && major >= step.sinceMajor {
            if !step.clusteredOnly || layout.cluster != nil {
                for statement in statements(step.sql) {
                    let text = layout.expand(statement, database: client.database, onCluster: onCluster)
                    for target in targets { try await target.execute(text) }
                }
            }
            try await client.execute("INSERT INTO \(client.table("schema_migrations")) (version, applied) VALUES (\(step.version), now())")
            applied.append(step.version)
        }
        return applied
    }

    /// `18` of `18.16.1`; 0 when unreadable (only steps for every version run then).
    static func majorVersion(_ version: String) -> Int {
        Int(version.split(separator: ".").first ?? "") ?? 0
    }

    /// The file's statements, without its comment lines.
    static func statements(_ sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("--") }
        return lines.joined(separator: "\n").split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }
}

/// One server, or a cluster: the name ClickHouse's `remote_servers` gives it, and the HTTP
/// addresses of its shards (for the schema; events go through the Distributed table).
struct ClickHouseLayout: Sendable {
    var cluster: String?
    var shards: [ClickHouseClient] = []

    /// The table events are written to and read from, and the one that holds them on a server.
    var localName: String { cluster == nil ? "events" : "events_local" }

    func expand(_ statement: String, database: String, onCluster: String) -> String {
        var text = statement
            .replacingOccurrences(of: "{local}", with: "\(database).\(localName)\(onCluster)")
            .replacingOccurrences(of: "{events}", with: "\(database).events\(onCluster)")
            .replacingOccurrences(of: "{local_name}", with: localName)
            .replacingOccurrences(of: "{database}", with: database)
        if let cluster { text = text.replacingOccurrences(of: "{cluster}", with: cluster) }
        // `AS table` names a table, not a table ON CLUSTER.
        if !onCluster.isEmpty { text = text.replacingOccurrences(of: "AS \(database).\(localName)\(onCluster)", with: "AS \(database).\(localName)") }
        return text
    }
}
