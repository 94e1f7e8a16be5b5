import Foundation
import Testing
import TrackerCore
@testable import TrackerPostgres
import TrackerStorage
import TrackerTesting

/// The storage conformance suite, and PostgreSQL specifics, against a real server.
@Suite(.enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipMessage)))
struct PostgresEventStoreTests {
    @Test(arguments: EventStoreConformance.names)
    func conformance(_ check: String) async throws {
        try await PostgresTestServer.withFreshStore { store in
            try await EventStoreConformance.checks[check]!(store)
        }
    }

    @Test func serverMessages() async throws {
        try await PostgresTestServer.withFreshStore { store in
            try await ServerMessageConformance.check(store, "postgres")
        }
    }

    /// A replayed batch falls back from COPY to INSERT ... ON CONFLICT: both paths must write the
    /// same `created` to the microsecond, or the (eid, created) key misses and the replay is
    /// stored twice (a Date bound in binary could land a microsecond off; every millisecond of a
    /// second is tried here).
    @Test func aReplayThroughTheFallbackMatchesWhatCopyStored() async throws {
        try await PostgresTestServer.withFreshStore { store in
            let events = (0..<1000).map { EventBuilder.event($0, at: 1_000 + Double($0) / 1000) }
            try await store.append(events)
            try await store.append(events + [EventBuilder.event(5000, at: 2_000)])
            #expect(try await store.count(EventQuery()) == 1001)
        }
    }

    @Test func links() async throws {
        try await PostgresTestServer.withFreshStore { store in
            try await LinkStoreConformance.check(store, "postgres")
        }
    }

    @Test func migrationsApplyOnceFromEmptyToHead() async throws {
        try await PostgresTestServer.withFreshStore { store in
            // withFreshStore migrated already: nothing is left.
            let applied = try await store.migrate()
            #expect(applied.isEmpty)
        }
    }

    @Test func eventsGoToTheirMonthsPartitionAndOldOnesMoveWhenTheirMonthIsMade() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            try await PostgresTestServer.withStore(url) { store in
                let now = EventBuilder.event(1, at: Date().timeIntervalSince(EventBuilder.epoch))
                let old = EventBuilder.event(2, at: -400 * 86_400)
                try await store.append([now, old])
                let placed = try await PostgresTestServer.texts(url, "SELECT eid || ' ' || tableoid::regclass::text FROM events ORDER BY eid")
                let month = PostgresPartitions.months(around: Date())[1].name
                #expect(placed == ["\(now.eid) \(month)", "\(old.eid) events_default"])
                // Made for that old month (as a node would if it ran then), the partition takes its events.
                let made = try await store.ensurePartitions(around: old.created)
                #expect(made.count == 5)
                let moved = try await PostgresTestServer.texts(url, "SELECT tableoid::regclass::text FROM events WHERE eid = '\(old.eid)'")
                #expect(moved == [PostgresPartitions.months(around: old.created)[1].name])
                // Replays are still refused across the partitioned table.
                try await store.append([now, old])
                let all = try await PostgresTestServer.texts(url, "SELECT eid || ' ' || tableoid::regclass::text FROM events ORDER BY eid")
                #expect(try await store.count(EventQuery()) == 2, "\(all)")
            }
        }
    }

    @Test func largeBatchesAreSplitUnderTheParameterLimit() async throws {
        try await PostgresTestServer.withFreshStore { store in
            try await store.append((0..<2_500).map { EventBuilder.event($0) })
            #expect(try await store.count(EventQuery()) == 2_500)
        }
    }
}

/// What needs no server: addresses and the error contract when the server is down.
@Suite struct PostgresURLTests {
    @Test func aServerThatIsDownIsUnavailable() async throws {
        let store = try PostgresEventStore(url: "postgres://postgres@127.0.0.1:1/none")
        let outcome: Result<Void, StorageError> = await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await store.run() }
            defer { group.cancelAll() }
            do throws(StorageError) {
                try await store.append([EventBuilder.event(1)])
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        #expect(throws: StorageError.self) { try outcome.get() }
        if case .failure(let error) = outcome {
            #expect({ if case .unavailable = error { true } else { false } }(), "\(error)")
        }
    }

    @Test func badURLsAreInvalid() {
        #expect(throws: StorageError.self) { try PostgresEventStore(url: "mysql://x@y/z") }
        #expect(throws: StorageError.self) { try PostgresEventStore(url: "postgres:///nohost") }
    }
}
