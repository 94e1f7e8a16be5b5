import Foundation
import TrackerCore

/// One ingest batch folded into the rollups the dashboard reads: per visitor, per session, events
/// per day and name, visitors per day. Built in memory so a batch of N events from few visitors
/// costs few upserts. A value type with no storage of its own: every store can use it.
public struct RollupBatch: Sendable {
    public struct VisitorKey: Hashable, Sendable { public let site: String; public let vid: String }
    public struct SessionKey: Hashable, Sendable { public let site: String; public let sid: String }
    public struct DayKey: Hashable, Sendable { public let site: String; public let day: String; public let name: String }
    public struct DayVisitorKey: Hashable, Sendable { public let site: String; public let day: String; public let vid: String }

    /// The first event (by time) decides the entry fields; the last one the exit fields. Both are
    /// places in `events`: a span held copies of both events, and copying an event retains each
    /// of its five parts (twice per span, again when the writer listed the spans).
    public struct Span: Sendable, Equatable {
        public var first: Int
        public var last: Int
        public var count = 0
        public var uid: String?
        var firstCreated: Date
        var lastCreated: Date

        /// Before its first event; `add` fills it in. A constant, so that the maps' default
        /// value captures nothing (a default made from the event was boxed on the heap, twice
        /// per event).
        static let empty = Span(first: 0, last: 0, uid: nil, firstCreated: .distantPast, lastCreated: .distantPast)

        mutating func add(_ index: Int, _ event: Event) {
            if count == 0 || event.created < firstCreated { (first, firstCreated) = (index, event.created) }
            if count == 0 || event.created >= lastCreated { (last, lastCreated) = (index, event.created) }
            count += 1
            if let uid = event[.uid] { self.uid = uid }
        }
    }

    /// Every event folded in, once, in the order added.
    public private(set) var events: [Event] = []
    public private(set) var visitors: [VisitorKey: Span] = [:]
    public private(set) var sessions: [SessionKey: Span] = [:]
    public private(set) var dailyEvents: [DayKey: Int] = [:]
    /// Each with the place in `events` of one of its events.
    public private(set) var dailyVisitors: [DayVisitorKey: Int] = [:]
    /// The last day formatted: a batch's events are nearly all of one day.
    private var lastDay: (number: Int64, text: String) = (.min, "")

    public init() {}

    /// Room for a batch of `events` made at once: grown from empty, each map rehashed itself six
    /// times over a commit of fifty new visitors.
    public init(capacity events: Int) {
        self.events.reserveCapacity(events)
        visitors = Dictionary(minimumCapacity: events)
        sessions = Dictionary(minimumCapacity: events)
        dailyVisitors = Dictionary(minimumCapacity: events)
        dailyEvents = Dictionary(minimumCapacity: 4)
    }

    mutating func day(of date: Date) -> String {
        let ms = Timestamp.milliseconds(date)
        let number = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        if number != lastDay.number { lastDay = (number, String(Timestamp.format(date).prefix(10))) }
        return lastDay.text
    }

    /// The entries in the order their events came, which is their keys' order when the server
    /// minted the ids (time-ordered UUIDv7): written in that order, each row goes after the
    /// last of its B-tree, where SQLite fills pages instead of splitting them (Sources/SQLite3).
    /// A dictionary's own order is random: then most rows of a batch went between others.
    public var visitorsInOrder: [(key: VisitorKey, value: Span)] { visitors.sorted { $0.value.first < $1.value.first } }
    public var sessionsInOrder: [(key: SessionKey, value: Span)] { sessions.sorted { $0.value.first < $1.value.first } }
    public var dailyVisitorsInOrder: [DayVisitorKey] { dailyVisitors.sorted { $0.value < $1.value }.map(\.key) }

    public mutating func add(_ event: Event) {
        let index = events.count
        events.append(event)
        let site = event[.hhash] ?? ""
        let day = day(of: event.created)
        dailyEvents[DayKey(site: site, day: day, name: event[.ename] ?? ""), default: 0] += 1
        guard let vid = event[.vid] else { return }
        dailyVisitors[DayVisitorKey(site: site, day: day, vid: vid)] = index
        visitors[VisitorKey(site: site, vid: vid), default: .empty].add(index, event)
        if let sid = event[.sid] {
            sessions[SessionKey(site: site, sid: sid), default: .empty].add(index, event)
        }
    }
}
