import Foundation
import TrackerCore

/// Where events go. `append` returns only once the whole batch is durable in this backend, and is
/// idempotent by `eid`: appending an event again (a replay after a crash) stores nothing new.
public protocol EventSink: Sendable {
    func append(_ events: [Event]) async throws(StorageError)
}

/// A time range of one site's events (or every site's, when `site` is nil): `from` inclusive,
/// `to` exclusive, oldest first.
public struct EventQuery: Sendable, Equatable {
    public var site: String?
    public var from: Date
    public var to: Date
    public var limit: Int

    public init(site: String? = nil, from: Date = .distantPast, to: Date = .distantFuture, limit: Int = 1000) {
        self.site = site
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// A session that was active recently, to restore server-side sessions after a restart.
public struct SessionSeed: Sendable, Equatable {
    public var site: String
    public var vid: String
    public var sid: String
    public var lastSeen: Date

    public init(site: String, vid: String, sid: String, lastSeen: Date) {
        self.site = site
        self.vid = vid
        self.sid = sid
        self.lastSeen = lastSeen
    }
}

/// Reads raw events back: for tests, exports and the conformance suite. Reports come later.
public protocol EventReader: Sendable {
    func events(_ query: EventQuery) async throws(StorageError) -> [Event]
    func count(_ query: EventQuery) async throws(StorageError) -> Int
    func recentSessions(since: Date) async throws(StorageError) -> [SessionSeed]
}

public typealias EventStore = EventSink & EventReader
