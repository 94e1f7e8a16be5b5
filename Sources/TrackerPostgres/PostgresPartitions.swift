import Foundation
import Logging
import PostgresNIO

/// Monthly partitions of `events`, made ahead of time: the month before now through `ahead`
/// months after it. A month whose events already sit in the default partition (an old import,
/// a node that ran past the last partition) gets them moved into its new partition in the same
/// transaction. Under the migrations' advisory lock, so nodes do this one at a time.
enum PostgresPartitions {
    static let ahead = 3

    /// `events_y2026m11` for November 2026, with its bounds.
    static func month(_ year: Int, _ month: Int) -> (name: String, from: String, to: String) {
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        return (String(format: "events_y%04dm%02d", year, month), String(format: "%04d-%02d-01 00:00:00+00", year, month),
                String(format: "%04d-%02d-01 00:00:00+00", next.0, next.1))
    }

    static func months(around now: Date) -> [(name: String, from: String, to: String)] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: now)
        return (-1...ahead).map { offset in
            let index = parts.year! * 12 + (parts.month! - 1) + offset
            return month(index / 12, index % 12 + 1)
        }
    }

    /// Creates the missing partitions; returns their names.
    @discardableResult
    static func ensure(_ connection: PostgresConnection, now: Date = Date(), logger: Logger) async throws -> [String] {
        _ = try await connection.query("SELECT pg_advisory_lock(\(PostgresMigrations.lockKey))", logger: logger)
        do {
            var created: [String] = []
            for month in months(around: now) {
                var exists = false
                for try await found in try await connection.query("SELECT to_regclass(\(month.name)) IS NOT NULL", logger: logger)
                    .decode(Bool.self) { exists = found }
                guard !exists else { continue }
                try await connection.withTransaction(logger: logger) { transaction in
                    _ = try await transaction.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(month.name) (LIKE events INCLUDING DEFAULTS)"),
                                                    logger: logger)
                    _ = try await transaction.query(PostgresQuery(unsafeSQL: """
                        WITH moved AS (DELETE FROM events_default WHERE created >= '\(month.from)' AND created < '\(month.to)' RETURNING *)
                        INSERT INTO \(month.name) SELECT * FROM moved
                        """), logger: logger)
                    _ = try await transaction.query(PostgresQuery(unsafeSQL: """
                        ALTER TABLE events ATTACH PARTITION \(month.name) FOR VALUES FROM ('\(month.from)') TO ('\(month.to)')
                        """), logger: logger)
                }
                created.append(month.name)
            }
            _ = try await connection.query("SELECT pg_advisory_unlock(\(PostgresMigrations.lockKey))", logger: logger)
            if !created.isEmpty { logger.info("PostgreSQL partitions created: \(created.joined(separator: ", "))") }
            return created
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(PostgresMigrations.lockKey))", logger: logger)
            throw error
        }
    }
}
