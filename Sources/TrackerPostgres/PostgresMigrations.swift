import Foundation
import Logging
import PostgresNIO
import TrackerStorage

/// Forward-only numbered migrations (Migrations/, embedded in the binary), each in a transaction,
/// under an advisory lock so that several tracker nodes starting together apply each once.
public enum PostgresMigrations {
    public static let all: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "events", sql: PackageResources._001_events_sql),
        SchemaMigration(version: 2, name: "monthly_partitions", sql: PackageResources._002_monthly_partitions_sql),
        SchemaMigration(version: 3, name: "server_messages", sql: PackageResources._003_server_messages_sql),
        SchemaMigration(version: 4, name: "links", sql: PackageResources._004_links_sql),
        SchemaMigration(version: 5, name: "slimmer_events", sql: PackageResources._005_slimmer_events_sql),
        SchemaMigration(version: 6, name: "compact_identities", sql: PackageResources._006_compact_identities_sql),
    ]

    static let lockKey = 7_468_123_001

    /// The statements of a migration file: split at `;` ending a line, comments dropped.
    static func statements(_ sql: String) -> [String] {
        let lines = sql.split(separator: "\n").map { line -> Substring in
            guard let comment = line.range(of: "--") else { return line }
            return line[..<comment.lowerBound]
        }
        return lines.joined(separator: "\n").components(separatedBy: ";\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: [";"]) }
            .filter { !$0.isEmpty }
    }

    /// `through`: the last version to apply (tests of a migration start from the one before).
    static func apply(_ client: PostgresClient, schema: String?, through last: Int = .max, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in try await apply(connection, schema: schema, through: last, logger: logger) }
    }

    /// `schema`: created first when missing (the connection's search_path names it already).
    static func apply(_ connection: PostgresConnection, schema: String?, through last: Int = .max, logger: Logger) async throws -> [Int] {
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            let applied = try await applyLocked(connection, schema: schema, through: last, logger: logger)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            try await PostgresPartitions.ensure(connection, logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
    }

    static func applyLocked(_ connection: PostgresConnection, schema: String?, through last: Int, logger: Logger) async throws -> [Int] {
        if let schema {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
        }
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL DEFAULT now())
            """, logger: logger)
        var current = 0
        for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
            .decode(Int.self) {
            current = version
        }
        var applied: [Int] = []
        for migration in all where migration.version > current && migration.version <= last {
            try await connection.withTransaction(logger: logger) { transaction in
                // The extended protocol takes one statement at a time.
                for statement in statements(migration.sql) {
                    _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await transaction.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
            }
            applied.append(migration.version)
        }
        return applied
    }
}
