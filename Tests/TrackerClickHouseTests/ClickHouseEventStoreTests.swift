import Foundation
import Testing
import TrackerClickHouse
import TrackerCore
import TrackerStorage
import TrackerTesting

/// The ClickHouse server the tests use: `TRACKER_TEST_CLICKHOUSE_URL` (scripts/test.sh starts one,
/// Debian's 18.16). Each test gets a database of its own, dropped afterwards.
enum ClickHouseTestServer {
    static let variable = "TRACKER_TEST_CLICKHOUSE_URL"
    static var url: String? { ProcessInfo.processInfo.environment[variable] }
    static let skipMessage = "set \(variable) to http://host:8123 to run the ClickHouse tests"

    static func withFreshStore(_ body: (ClickHouseEventStore, String) async throws -> Void) async throws {
        let base = try #require(url)
        let name = "tracker_test_\(UUID().uuidString.prefix(8).lowercased())"
        let url = base.hasSuffix("/") ? base + name : base + "/" + name
        let store = try ClickHouseEventStore(url: url)
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

/// The storage conformance suite, and ClickHouse specifics, against a real server.
@Suite(.enabled(if: ClickHouseTestServer.url != nil, Comment(rawValue: ClickHouseTestServer.skipMessage)))
struct ClickHouseEventStoreTests {
    @Test(arguments: EventStoreConformance.names)
    func conformance(_ check: String) async throws {
        try await ClickHouseTestServer.withFreshStore { store, _ in
            try await EventStoreConformance.checks[check]!(store)
        }
    }

    @Test func migrationsApplyOnceAndTheServerVersionIsRead() async throws {
        try await ClickHouseTestServer.withFreshStore { store, url in
            #expect(try await store.migrate().isEmpty)
            // A second node starting on the same database finds nothing to do either.
            #expect(try await ClickHouseEventStore(url: url).migrate().isEmpty)
            let version = try await store.serverVersion()
            #expect(version.split(separator: ".").count >= 3)
        }
    }

    @Test func largeBatchesAndReplaysAcrossInserts() async throws {
        try await ClickHouseTestServer.withFreshStore { store, _ in
            let events = (0..<5_000).map { EventBuilder.event($0) }
            try await store.append(events)
            try await store.append(Array(events[1_000..<2_000]))
            #expect(try await store.count(EventQuery(limit: 10_000)) == 5_000)
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
