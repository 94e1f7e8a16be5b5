import Foundation
import Logging
import NIOPosix
import PostgresNIO
import TrackerPostgres

/// The PostgreSQL server the tests use: `TRACKER_TEST_POSTGRES_URL` (scripts/test.sh starts one).
/// Each test gets a database of its own, dropped afterwards.
enum PostgresTestServer {
    static let variable = "TRACKER_TEST_POSTGRES_URL"
    static var url: String? { ProcessInfo.processInfo.environment[variable] }
    static let skipMessage = "set \(variable) to postgres://user@host:port/database to run the PostgreSQL tests"

    /// A new empty database for `body`, dropped afterwards.
    static func withFreshDatabase(_ body: (String) async throws -> Void) async throws {
        let base = try #require(url)
        let name = "tracker_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin(base, "CREATE DATABASE \(name)")
        var parts = URLComponents(string: base)!
        parts.path = "/" + name
        let outcome: Result<Void, any Error>
        do {
            try await body(parts.string!)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await admin(base, "DROP DATABASE \(name) WITH (FORCE)")
        try outcome.get()
    }

    static func withFreshStore(_ body: (PostgresEventStore) async throws -> Void) async throws {
        try await withFreshDatabase { url in try await withStore(url, body) }
    }

    static func withStore(_ url: String, schema: String? = nil, _ body: (PostgresEventStore) async throws -> Void) async throws {
        // Tests run in parallel on one server: small pools stay under its connection limit.
        let store = try PostgresEventStore(url: url, schema: schema, maxConnections: 2)
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await store.run() }
            defer { group.cancelAll() }
            do {
                try await store.migrate()
                try await body(store)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }

    /// The text of the first column of each row of a query, on a connection of its own.
    static func texts(_ url: String, _ sql: String) async throws -> [String] {
        let parts = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(
            host: parts.host ?? "127.0.0.1", port: parts.port ?? 5432, username: parts.user ?? "postgres",
            password: parts.password, database: String(parts.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: Logger(label: "test-admin"))
        var result: [String] = []
        do {
            for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin")).decode(String.self) {
                result.append(text)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return result
    }

    /// One statement on a connection of its own.
    static func admin(_ url: String, _ sql: String) async throws {
        let parts = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(
            host: parts.host ?? "127.0.0.1", port: parts.port ?? 5432, username: parts.user ?? "postgres",
            password: parts.password, database: String(parts.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test-admin"))
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

import Testing
