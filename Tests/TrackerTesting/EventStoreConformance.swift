import Foundation
import Testing
import TrackerCore
import TrackerStorage

/// The behaviour every `EventStore` must have; `MemoryEventStore` defines it. Backend test files run
/// each check against a fresh store: `@Test(arguments: EventStoreConformance.names)`.
public enum EventStoreConformance {
    public typealias Check = @Sendable (any EventStore) async throws -> Void

    public static let checks: [String: Check] = [
        "round trip keeps every field": roundTrip,
        "sparse events round trip": sparseRoundTrip,
        "events of different fields in one batch round trip": shapesRoundTrip,
        "replaying a batch stores nothing new": idempotentReplay,
        "duplicates inside one batch are stored once": duplicatesInBatch,
        "an empty batch is a no-op": emptyBatch,
        "time range is from-inclusive, to-exclusive, oldest first": timeRange,
        "site filter": siteFilter,
        "limit": limit,
        "negative limit is an invalid request": negativeLimit,
        "concurrent appends all land": concurrentAppends,
        "recent sessions give each visitor's latest session": recentSessions,
    ]

    public static var names: [String] { checks.keys.sorted() }

    static func roundTrip(_ store: any EventStore) async throws {
        let events = (1...3).map { EventBuilder.event($0, at: Double($0)) }
        try await store.append(events)
        let read = try await store.events(EventQuery())
        #expect(read == events)
    }

    static func sparseRoundTrip(_ store: any EventStore) async throws {
        let event = EventBuilder.sparse(1)
        try await store.append([event])
        #expect(try await store.events(EventQuery()) == [event])
    }

    /// Events with different sets of fields, mixed in a batch (one after the other) and in runs:
    /// each comes back with exactly its own fields (SQLite prepares an insert per set of fields).
    static func shapesRoundTrip(_ store: any EventStore) async throws {
        func event(_ n: Int, shape: Int) -> Event {
            if shape == 3 { return EventBuilder.event(n, at: Double(n)) }
            var event = EventBuilder.sparse(n, at: Double(n))
            switch shape {
            case 1:
                event[.hhash] = "d4md6"
                event[.url] = "https://example.com/\(n)"
                event[.vid] = "vid-\(n)"
            case 2:
                event[.ename] = "signup"
                event[.score] = Double(n) / 4
                event.params = ["plan": "pro-\(n)"]
            case 4:
                event[.duration] = Double(n * 1000)
                event.nparams = ["seats": Double(n)]
            default: break
            }
            return event
        }
        let alternating = (0..<40).map { event($0, shape: $0 % 5) }
        let runs = (40..<80).map { event($0, shape: $0 < 60 ? 1 : 2) }
        try await store.append(alternating)
        try await store.append(runs)
        #expect(try await store.events(EventQuery(limit: 100)) == alternating + runs)
    }

    static func idempotentReplay(_ store: any EventStore) async throws {
        let events = (1...5).map { EventBuilder.event($0) }
        try await store.append(events)
        try await store.append(events)
        try await store.append(Array(events.prefix(2)) + [EventBuilder.event(6)])
        #expect(try await store.count(EventQuery()) == 6)
    }

    static func duplicatesInBatch(_ store: any EventStore) async throws {
        let event = EventBuilder.event(1)
        try await store.append([event, event, event])
        #expect(try await store.count(EventQuery()) == 1)
    }

    static func emptyBatch(_ store: any EventStore) async throws {
        try await store.append([])
        #expect(try await store.count(EventQuery()) == 0)
    }

    static func timeRange(_ store: any EventStore) async throws {
        let events = (0..<10).map { EventBuilder.event($0, at: Double($0) * 60) }
        try await store.append(events.shuffled())
        let from = EventBuilder.epoch.addingTimeInterval(120)
        let to = EventBuilder.epoch.addingTimeInterval(300)
        let read = try await store.events(EventQuery(from: from, to: to))
        #expect(read.map(\.eid) == events[2..<5].map(\.eid))
        #expect(try await store.count(EventQuery(from: from, to: to)) == 3)
        #expect(try await store.count(EventQuery(to: EventBuilder.epoch)) == 0)
    }

    static func siteFilter(_ store: any EventStore) async throws {
        try await store.append([EventBuilder.event(1, site: "a"), EventBuilder.event(2, site: "b"), EventBuilder.event(3, site: "a")])
        #expect(try await store.events(EventQuery(site: "a")).map(\.eid) == [EventBuilder.event(1).eid, EventBuilder.event(3).eid])
        #expect(try await store.count(EventQuery(site: "c")) == 0)
    }

    static func limit(_ store: any EventStore) async throws {
        try await store.append((1...20).map { EventBuilder.event($0, at: Double($0)) })
        let read = try await store.events(EventQuery(limit: 5))
        #expect(read.map(\.eid) == (1...5).map { EventBuilder.event($0).eid })
    }

    static func negativeLimit(_ store: any EventStore) async throws {
        await #expect(throws: StorageError.invalid("limit must not be negative")) {
            _ = try await store.events(EventQuery(limit: -1))
        }
    }

    static func concurrentAppends(_ store: any EventStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<20 {
                group.addTask {
                    try await store.append((0..<50).map { EventBuilder.event(task * 1000 + $0) })
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.count(EventQuery()) == 1000)
    }

    static func recentSessions(_ store: any EventStore) async throws {
        try await store.append([
            EventBuilder.event(1, at: 0, vid: "v1", sid: "old"),
            EventBuilder.event(2, at: 600, vid: "v1", sid: "s1"),
            EventBuilder.event(3, at: 1200, vid: "v1", sid: "s1"),
            EventBuilder.event(4, at: 1300, vid: "v2", sid: "s2"),
        ])
        let seeds = try await store.recentSessions(since: EventBuilder.epoch.addingTimeInterval(300))
        let byVisitor = Dictionary(uniqueKeysWithValues: seeds.map { ($0.vid, $0) })
        #expect(byVisitor["v1"]?.sid == "s1")
        #expect(byVisitor["v1"]?.lastSeen == EventBuilder.epoch.addingTimeInterval(1200))
        #expect(byVisitor["v2"]?.sid == "s2")
        #expect(seeds.count == 2)
    }
}
