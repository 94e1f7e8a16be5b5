import Foundation
import TrackerCore
import TrackerStorage

/// Forward-only, numbered migrations (the files in Migrations/, embedded in the binary so a copied
/// executable needs no resource folder). Applied at start in one transaction each, recorded in
/// `schema_migrations`.
public enum SQLiteMigrations {
    public static let all: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "events", sql: PackageResources._001_events_sql),
        SchemaMigration(version: 2, name: "rollups", sql: PackageResources._002_rollups_sql),
        SchemaMigration(version: 3, name: "server_messages", sql: PackageResources._003_server_messages_sql),
        SchemaMigration(version: 4, name: "links", sql: PackageResources._004_links_sql),
        SchemaMigration(version: 5, name: "no_sessions_ended_index", sql: PackageResources._005_no_sessions_ended_index_sql),
        SchemaMigration(version: 6, name: "rollup_cursor", sql: PackageResources._006_rollup_cursor_sql),
    ]

    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Applies what is missing; returns the versions applied now.
    static func apply(to connection: SQLiteConnection, now: Date) throws(StorageError) -> [Int] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)
            """)
        let current = try currentVersion(connection)
        guard current <= latestVersion else {
            throw .invalid("the database is at schema version \(current), newer than this binary's \(latestVersion)")
        }
        var applied: [Int] = []
        for migration in all where migration.version > current {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(migration.sql)
                let record = try connection.prepare("INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)")
                record.bind(1, Int64(migration.version))
                record.bind(2, migration.name)
                record.bind(3, Timestamp.format(now))
                _ = try record.step()
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw .invalid("migration \(migration.version) (\(migration.name)) failed: \(error)")
            }
            applied.append(migration.version)
        }
        return applied
    }

    static func currentVersion(_ connection: SQLiteConnection) throws(StorageError) -> Int {
        let statement = try connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations")
        _ = try statement.step()
        return Int(statement.int64(0) ?? 0)
    }
}
