import Foundation
import Testing
@testable import TrackerClickHouse
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The ClickHouse server the tests use: `TRACKER_TEST_CLICKHOUSE_URL` (scripts/test.sh starts one,
/// Debian's 18.16). Each test gets a database of its own, dropped afterwards.
enum ClickHouseTestServer {
    static let variable = "TRACKER_TEST_CLICKHOUSE_URL"
    static var url: String? { ProcessInfo.processInfo.environment[variable] }
    static let skipMessage = "set \(variable) to http://host:8123 to run the ClickHouse tests"
    /// A cluster of the servers' `remote_servers`, and its shards' HTTP addresses.
    static var cluster: String? { ProcessInfo.processInfo.environment["TRACKER_TEST_CLICKHOUSE_CLUSTER"] }
    static var shards: [String] {
        (ProcessInfo.processInfo.environment["TRACKER_TEST_CLICKHOUSE_SHARDS"] ?? "").split(separator: ",").map(String.init)
    }
    static let clusterSkipMessage = "set TRACKER_TEST_CLICKHOUSE_CLUSTER and TRACKER_TEST_CLICKHOUSE_SHARDS to run the clustered tests"
    /// A current ClickHouse (26.x: chDB behind `chdb_http.py`, which scripts/test.sh starts).
    static var modernURL: String? { ProcessInfo.processInfo.environment["TRACKER_TEST_CLICKHOUSE_MODERN_URL"] }
    /// Every server the store suite runs against: the old one installable here and a current one.
    static var servers: [String] { [url, modernURL].compactMap { $0 } }
    static let serversSkipMessage = "set \(variable) and/or TRACKER_TEST_CLICKHOUSE_MODERN_URL to run the ClickHouse store tests"

    static func withFreshStore(clustered: Bool = false, server: String? = nil,
                               _ body: (ClickHouseEventStore, String) async throws -> Void) async throws {
        let base = try #require(server ?? url)
        let name = "tracker_test_\(UUID().uuidString.prefix(8).lowercased())"
        let url = base.hasSuffix("/") ? base + name : base + "/" + name
        let store = clustered ? try ClickHouseEventStore(url: url, cluster: try #require(cluster), shardURLs: shards)
            : try ClickHouseEventStore(url: url)
        let outcome: Result<Void, any Error>
        do {
            try await store.migrate()
            try await body(store, url)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try? await store.dropDatabase()
        try outcome.get()
    }
}

/// The storage conformance suite, and ClickHouse specifics, against each real server: Debian's
/// 18.16 and a current one.
@Suite(.enabled(if: !ClickHouseTestServer.servers.isEmpty, Comment(rawValue: ClickHouseTestServer.serversSkipMessage)))
struct ClickHouseEventStoreTests {
    @Test(arguments: ClickHouseTestServer.servers, EventStoreConformance.names)
    func conformance(_ server: String, _ check: String) async throws {
        try await ClickHouseTestServer.withFreshStore(server: server) { store, _ in
            try await EventStoreConformance.checks[check]!(store)
        }
    }

    @Test(arguments: ClickHouseTestServer.servers)
    func serverMessages(_ server: String) async throws {
        try await ClickHouseTestServer.withFreshStore(server: server) { store, _ in
            try await ServerMessageConformance.check(store, "clickhouse")
        }
    }

    @Test(arguments: ClickHouseTestServer.servers)
    func migrationsApplyOnceAndTheServerVersionIsRead(_ server: String) async throws {
        try await ClickHouseTestServer.withFreshStore(server: server) { store, url in
            #expect(try await store.migrate().isEmpty)
            // A second node starting on the same database finds nothing to do either.
            #expect(try await ClickHouseEventStore(url: url).migrate().isEmpty)
            let version = try await store.serverVersion()
            #expect(version.split(separator: ".").count >= 3)
        }
    }

    /// From ClickHouse 20 on, repeated texts are LowCardinality and the other columns compressed
    /// with zstd (migration 4); 18.16 keeps the plain types and leaves migration 4 unrecorded, so
    /// that it runs after an upgrade.
    @Test(arguments: ClickHouseTestServer.servers)
    func typesFollowTheServersVersion(_ server: String) async throws {
        try await ClickHouseTestServer.withFreshStore(server: server) { store, url in
            let client = try ClickHouseClient(url: url, timeout: .seconds(10))
            let modern = ClickHouseMigrations.majorVersion(try await store.serverVersion()) >= 20
            func column(_ name: String) async throws -> String {
                try await client.rows("SELECT type FROM system.columns WHERE database = '\(client.database)' AND table = 'events' "
                    + "AND name = '\(name)'").first?["type"]?.text ?? "missing"
            }
            let versions = try await client.rows("SELECT version FROM \(client.table("schema_migrations")) FINAL ORDER BY version")
                .compactMap { $0["version"]?.number.map(Int.init) }
            #expect(try await column("ename") == (modern ? "LowCardinality(Nullable(String))" : "Nullable(String)"))
            #expect(try await column("vid") == "Nullable(String)")
            #expect(versions == (modern ? [1, 2, 3, 4] : [1, 2, 3]))  // 2 (clustered only) is recorded as done
            if modern {
                let codec = try await client.rows("SELECT compression_codec FROM system.columns WHERE database = '\(client.database)' "
                    + "AND table = 'events' AND name = 'ts'").first?["compression_codec"]?.text
                #expect(codec?.contains("Delta") == true, "\(String(describing: codec))")
            }
        }
    }

    @Test(arguments: ClickHouseTestServer.servers)
    func largeBatchesAndReplaysAcrossInserts(_ server: String) async throws {
        try await ClickHouseTestServer.withFreshStore(server: server) { store, _ in
            let events = (0..<5_000).map { EventBuilder.event($0) }
            try await store.append(events)
            try await store.append(Array(events[1_000..<2_000]))
            #expect(try await store.count(EventQuery(limit: 10_000)) == 5_000)
        }
    }
}

/// The same suite through a Distributed table over two shards (two servers on loopback).
@Suite(.enabled(if: ClickHouseTestServer.cluster != nil, Comment(rawValue: ClickHouseTestServer.clusterSkipMessage)))
struct ClickHouseClusterTests {
    @Test(arguments: EventStoreConformance.names)
    func conformance(_ check: String) async throws {
        try await ClickHouseTestServer.withFreshStore(clustered: true) { store, _ in
            try await EventStoreConformance.checks[check]!(store)
        }
    }

    @Test func visitorsAreSpreadOverTheShardsAndReadAsOne() async throws {
        try await ClickHouseTestServer.withFreshStore(clustered: true) { store, _ in
            let events = (0..<400).map { EventBuilder.event($0, vid: "visitor-\($0 % 40)") }
            try await store.append(events)
            try await store.append(Array(events.prefix(100)))
            let counts = try await store.shardCounts()
            #expect(counts.count == 2 && counts.allSatisfy { $0 > 0 })
            #expect(counts.reduce(0, +) >= 400)
            #expect(try await store.count(EventQuery(limit: 10_000)) == 400)
            // One visitor's events, replays included, are on one shard.
            let one = try await store.events(EventQuery(limit: 10_000)).filter { $0[.vid] == "visitor-7" }
            #expect(one.count == 10)
        }
    }
}

/// What needs no server: URLs and the error contract when the server is down.
@Suite struct ClickHouseURLTests {
    @Test func aServerThatIsDownIsUnavailable() async throws {
        let store = try ClickHouseEventStore(url: "http://127.0.0.1:1/none", timeout: .seconds(2))
        await #expect(throws: StorageError.self) { try await store.append([EventBuilder.event(1)]) }
        do {
            try await store.append([EventBuilder.event(1)])
        } catch {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
    }

    @Test func badURLsAreRefused() {
        #expect(throws: StorageError.self) { try ClickHouseEventStore(url: "clickhouse://x") }
        #expect(throws: StorageError.self) { try ClickHouseEventStore(url: "http://h:8123/bad-name") }
        #expect(throws: Never.self) { try ClickHouseEventStore(url: "http://u:p@h:8123/analytics") }
    }
}
