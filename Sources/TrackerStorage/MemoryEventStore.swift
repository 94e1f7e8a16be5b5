import Foundation
import Synchronization
import TrackerCore

/// The reference store: every backend must behave as this one does (the conformance suite runs
/// both). Not durable; for tests and as the behavioural specification.
public final class MemoryEventStore: EventStore {
    struct State {
        var events: [Event] = []
        var ids: Set<String> = []
        var counters: [String: Int] = [:]
        var updates: [String: ServerUpdate] = [:]
        var logs: [ServerLog] = []
        var links: [LinkKey: CountedLink] = [:]
        var keys: [String: APIKey] = [:]
        var accounts: [String: String] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public func append(_ events: [Event]) async throws(StorageError) {
        state.withLock { state in
            for event in events where state.ids.insert(event.eid).inserted {
                state.events.append(event)
            }
        }
    }

    public func events(_ query: EventQuery) async throws(StorageError) -> [Event] {
        try Self.validate(query)
        return Array(matching(query).prefix(query.limit))
    }

    public func count(_ query: EventQuery) async throws(StorageError) -> Int {
        try Self.validate(query)
        return matching(query).count
    }

    public func recentSessions(since: Date) async throws(StorageError) -> [SessionSeed] {
        let events = state.withLock { $0.events }
        var latest: [String: SessionSeed] = [:]
        for event in events where event.created >= since {
            guard let vid = event[.vid], let sid = event[.sid] else { continue }
            let site = event[.hhash] ?? ""
            let key = site + "\u{0}" + vid
            if let seen = latest[key], seen.lastSeen > event.created { continue }
            latest[key] = SessionSeed(site: site, vid: vid, sid: sid, lastSeen: event.created)
        }
        return latest.values.sorted { $0.lastSeen < $1.lastSeen }
    }

    func matching(_ query: EventQuery) -> [Event] {
        state.withLock { state in
            state.events
                .filter { e in
                    e.created >= query.from && e.created < query.to && (query.site == nil || e[.hhash] == query.site)
                }
                .sorted { ($0.created, $0.eid) < ($1.created, $1.eid) }
        }
    }

    static func validate(_ query: EventQuery) throws(StorageError) {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
    }
}

extension MemoryEventStore: ServerMessageStore {
    public func record(_ batch: ServerMessageBatch) async throws(StorageError) {
        state.withLock { state in
            for (id, count) in batch.increments { state.counters[id, default: 0] += count }
            for update in batch.updates { state.updates[update.id] = update }
            state.logs += batch.logs
        }
    }

    public func counters() async throws(StorageError) -> [String: Int] {
        state.withLock { $0.counters }
    }

    public func updates() async throws(StorageError) -> [ServerUpdate] {
        state.withLock { $0.updates.values.sorted { $0.id < $1.id } }
    }

    public func logs(limit: Int) async throws(StorageError) -> [ServerLog] {
        state.withLock { Array($0.logs.suffix(limit)) }
    }
}
