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

    /// The first event (by time) decides the entry fields; the last one the exit fields.
    public struct Span: Sendable, Equatable {
        public var first: Event
        public var last: Event
        public var count: Int
        public var uid: String?

        mutating func add(_ event: Event) {
            if event.created < first.created { first = event }
            if event.created >= last.created { last = event }
            count += 1
            if let uid = event[.uid] { self.uid = uid }
        }
    }

    public private(set) var visitors: [VisitorKey: Span] = [:]
    public private(set) var sessions: [SessionKey: Span] = [:]
    public private(set) var dailyEvents: [DayKey: Int] = [:]
    public private(set) var dailyVisitors: Set<DayVisitorKey> = []
    /// The last day formatted: a batch's events are nearly all of one day.
    private var lastDay: (number: Int64, text: String) = (.min, "")

    public init() {}

    /// Room for a batch of `events` made at once: grown from empty, each map rehashed itself six
    /// times over a commit of fifty new visitors.
    public init(capacity events: Int) {
        visitors = Dictionary(minimumCapacity: events)
        sessions = Dictionary(minimumCapacity: events)
        dailyVisitors = Set(minimumCapacity: events)
        dailyEvents = Dictionary(minimumCapacity: 4)
    }

    mutating func day(of date: Date) -> String {
        let ms = Timestamp.milliseconds(date)
        let number = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        if number != lastDay.number { lastDay = (number, String(Timestamp.format(date).prefix(10))) }
        return lastDay.text
    }

    public mutating func add(_ event: Event) {
        let site = event[.hhash] ?? ""
        let day = day(of: event.created)
        dailyEvents[DayKey(site: site, day: day, name: event[.ename] ?? ""), default: 0] += 1
        guard let vid = event[.vid] else { return }
        dailyVisitors.insert(DayVisitorKey(site: site, day: day, vid: vid))
        visitors[VisitorKey(site: site, vid: vid), default: Span(first: event, last: event, count: 0)].add(event)
        if let sid = event[.sid] {
            sessions[SessionKey(site: site, sid: sid), default: Span(first: event, last: event, count: 0)].add(event)
        }
    }
}
