import Foundation
import Logging
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

    /// A replayed batch stores nothing new: `created` is written as text to the microsecond, so
    /// the replay meets its (eid, created) key (a Date bound in binary could land a microsecond off
    /// and be stored twice); every millisecond of a second is tried here.
    @Test func aReplayMeetsItsKeyToTheMicrosecond() async throws {
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

    /// `vid` and `sid` are uuid columns: any identifier a client sends still reads back as sent,
    /// stored and then replayed, and a non-UUID one is md5(value)::uuid.
    @Test func identitiesAreUUIDColumnsThatGiveBackWhatWasSent() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            try await PostgresTestServer.withStore(url) { store in
                let sent = ["01900000-0000-7000-8000-000000000001", "3D0BE300-CBD2-11E8-AA59-FFD128A54D91",
                            "custom-visitor-42", "tab\tand\\backslash", "3d0be300-cbd2-11e8-aa59-ffd128a54d9"]
                var events = sent.enumerated().map { EventBuilder.event($0.offset, at: Double($0.offset), vid: $0.element, sid: $0.element) }
                events[0][.w] = 1e12
                events[0][.h] = -1e12
                try await store.append(Array(events.prefix(2)))
                try await store.append(events)  // the first two again (skipped) and three new ones
                let back = try await store.events(EventQuery())
                #expect(back.map { $0[.vid] } == sent)
                #expect(back.map { $0[.sid] } == sent)
                #expect(back[0][.w] == Double(Int32.max) && back[0][.h] == Double(Int32.min))
                let types = try await PostgresTestServer.texts(url, "SELECT data_type FROM information_schema.columns "
                    + "WHERE table_name = 'events' AND column_name IN ('vid', 'sid', 'w') ORDER BY column_name")
                #expect(types == ["uuid", "uuid", "integer"])
                let derived = try await PostgresTestServer.texts(url, "SELECT count(*)::text FROM events WHERE vid = md5(vid_text)::uuid")
                #expect(derived == ["4"])
                #expect(try await PostgresTestServer.texts(url, "SELECT count(DISTINCT vid)::text FROM events") == ["5"])
            }
        }
    }

    /// Migration 6 turns stored text identities into uuids the same way new rows are written.
    @Test func migrationSixConvertsStoredIdentities() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            let store = try PostgresEventStore(url: url, maxConnections: 2)
            let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await store.run() }
                defer { group.cancelAll() }
                do {
                    try await store.migrate(through: 5)
                    try await PostgresTestServer.admin(url, """
                        INSERT INTO events (eid, created, vid, sid, w) VALUES
                        ('01900000-0000-7000-8000-000000000001', '2026-11-01T10:00:00Z', '3d0be300-cbd2-11e8-aa59-ffd128a54d91', 'custom', 99999999999),
                        ('01900000-0000-7000-8000-000000000002', '2026-11-01T10:00:01Z', 'Custom-Visitor', NULL, 1280)
                        """)
                    #expect(try await store.migrate() == [6])
                    let back = try await store.events(EventQuery())
                    #expect(back.map { $0[.vid] } == ["3d0be300-cbd2-11e8-aa59-ffd128a54d91", "Custom-Visitor"])
                    #expect(back.map { $0[.sid] } == ["custom", nil])
                    #expect(back.map { $0[.w] } == [Double(Int32.max), 1280])
                    // A new event of the same visitor lands on the same uuid.
                    try await store.append([EventBuilder.event(3, at: 0, vid: "Custom-Visitor")])
                    #expect(try await PostgresTestServer.texts(url, "SELECT count(DISTINCT vid)::text FROM events") == ["2"])
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try outcome.get()
        }
    }

    /// `PostgresSchema`: the tables live in a schema of their own, made by the first migration, so
    /// two trackers can share one database without seeing each other's events.
    @Test func eachSchemaHoldsItsOwnTables() async throws {
        try await PostgresTestServer.withFreshDatabase { url in
            try await PostgresTestServer.withStore(url, schema: "analytics") { store in
                try await store.append((0..<3).map { EventBuilder.event($0) })
                #expect(try await store.count(EventQuery()) == 3)
            }
            try await PostgresTestServer.withStore(url, schema: "tenant_b") { store in
                try await store.append([EventBuilder.event(7)])
                #expect(try await store.count(EventQuery()) == 1)
            }
            #expect(try await PostgresTestServer.texts(url, "SELECT count(*)::text FROM analytics.events") == ["3"])
            #expect(try await PostgresTestServer.texts(url, "SELECT count(*)::text FROM tenant_b.events") == ["1"])
            #expect(try await PostgresTestServer.texts(url, "SELECT (to_regclass('public.events') IS NULL)::text") == ["true"])
            let partitions = try await PostgresTestServer.texts(url, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'analytics' AND tablename LIKE 'events_y%'")
            #expect(partitions == ["5"])
            let prepared = try await PostgresEventStore.prepare(url: url, schema: "analytics", sessionsSince: .distantPast)
            #expect(prepared.applied.isEmpty && prepared.sessions.count == 3)
        }
    }

    @Test func largeBatchesGoInOneStatement() async throws {
        try await PostgresTestServer.withFreshStore { store in
            try await store.append((0..<2_500).map { EventBuilder.event($0) })
            #expect(try await store.count(EventQuery()) == 2_500)
        }
    }
}

/// What needs no server: addresses and the error contract when the server is down.
@Suite struct PostgresURLTests {
    @Test func aServerThatIsDownIsUnavailable() async throws {
        var quiet = Logger(label: "tracker.postgres")
        quiet.logLevel = .critical  // the pool's every failed reconnection is expected here
        let store = try PostgresEventStore(url: "postgres://postgres@127.0.0.1:1/none", logger: quiet)
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
