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

    /// The events the batch was made over; the rollups count those `add`ed, each once. Spans
    /// and keys refer to them by place: copying an event into the batch (and into the writer's
    /// locals) retained each of its five parts and released them again, about 2 % of the commit
    /// thread under the pixel benchmark.
    public let events: [Event]
    public private(set) var visitors = ArrivalOrdered<VisitorKey, Span>()
    public private(set) var sessions = ArrivalOrdered<SessionKey, Span>()
    /// Events per site, day and name. A run of events with the same key is counted in
    /// `dayRun` first and folded in when the key changes (`dailyEvents` adds the last run).
    private var dayCounts: [DayKey: Int] = [:]
    private var dayRun: (key: DayKey, count: Int)?
    /// A batch is nearly always of one day; its visitors per day are then its visitors, in the
    /// same order, and need no map of their own (`dailyVisitorKeys`). Past a change of day, they
    /// are kept here from then on, starting with the visitors of the days before.
    private var multiDayVisitors: ArrivalOrdered<DayVisitorKey, Void>?
    private var firstDay: String?
    /// The last day formatted: a batch's events are nearly all of one day.
    private var lastDay: (number: Int64, text: String) = (.min, "")

    /// Room for all of `events` at once: grown from empty, each map rehashed itself six times
    /// over a commit of fifty new visitors.
    public init(over events: [Event]) {
        self.events = events
        visitors = ArrivalOrdered(capacity: events.count)
        sessions = ArrivalOrdered(capacity: events.count)
        dayCounts = Dictionary(minimumCapacity: 4)
    }

    public var dailyEvents: [DayKey: Int] {
        guard let dayRun else { return dayCounts }
        var counts = dayCounts
        counts[dayRun.key, default: 0] += dayRun.count
        return counts
    }

    /// The (site, day, visitor) rows, in the order they first came.
    public var dailyVisitorKeys: [DayVisitorKey] {
        if let multiDayVisitors { return multiDayVisitors.entries.map(\.key) }
        guard let firstDay else { return [] }
        return visitors.entries.map { DayVisitorKey(site: $0.key.site, day: firstDay, vid: $0.key.vid) }
    }

    mutating func day(of date: Date) -> String {
        let ms = Timestamp.milliseconds(date)
        let number = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        if number != lastDay.number { lastDay = (number, String(Timestamp.format(date).prefix(10))) }
        return lastDay.text
    }

    /// Folds in the event at `index` of `events`.
    public mutating func add(at index: Int) {
        // Read in place (a parameter borrows it): bound to a local, the event was copied.
        let events = self.events
        events.withUnsafeBufferPointer { add(index, $0[index]) }
    }

    private mutating func add(_ index: Int, _ event: Event) {
        let site = event[.hhash] ?? ""
        let day = day(of: event.created)
        countDay(DayKey(site: site, day: day, name: event[.ename] ?? ""))
        guard let vid = event[.vid] else { return }
        if firstDay == nil { firstDay = day }
        if multiDayVisitors == nil, day != firstDay {
            var kept = ArrivalOrdered<DayVisitorKey, Void>(capacity: events.count)
            for key in dailyVisitorKeys { kept.update(key, new: ()) { _ in } }
            multiDayVisitors = kept
        }
        multiDayVisitors?.update(DayVisitorKey(site: site, day: day, vid: vid), new: ()) { _ in }
        visitors.update(VisitorKey(site: site, vid: vid), new: .empty) { $0.add(index, event) }
        if let sid = event[.sid] {
            sessions.update(SessionKey(site: site, sid: sid), new: .empty) { $0.add(index, event) }
        }
    }

    private mutating func countDay(_ key: DayKey) {
        if let run = dayRun {
            if run.key == key { return dayRun = (key, run.count + 1) }
            dayCounts[run.key, default: 0] += run.count
        }
        dayRun = (key, 1)
    }
}

/// Entries in the order their keys first came, each found by its key with one hashing. The rollup
/// rows are written in this order, which is their keys' order when the server minted the ids
/// (time-ordered UUIDv7): each row then goes after the last of its B-tree, where SQLite fills
/// pages instead of splitting them (Sources/SQLite3/README.md). A dictionary's own order is
/// random, and most rows of a batch went between others; sorting a batch's entries took longer
/// than keeping them in order.
public struct ArrivalOrdered<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public private(set) var entries: [(key: Key, value: Value)] = []
    private var places: [Key: Int] = [:]
    private var lastPlace: Int?

    init(capacity: Int = 0) {
        entries.reserveCapacity(capacity)
        places = Dictionary(minimumCapacity: capacity)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public subscript(key: Key) -> Value? { places[key].map { entries[$0].value } }

    /// Changes the key's value, first added as `new` at the end if the key is not there yet. The
    /// key of the last change is compared first: a request's events (a batch in one body) come
    /// one after the other with the same visitor and session, found without hashing again.
    mutating func update(_ key: Key, new: Value, _ change: (inout Value) -> Void) {
        if let last = lastPlace, entries[last].key == key { return change(&entries[last].value) }
        let end = entries.count
        let place = Self.stored(&places[key, default: end])
        if place == end { entries.append((key, new)) }
        lastPlace = place
        change(&entries[place].value)
    }

    /// Read through `inout`, the dictionary's `default:` accessor stores the default for a new
    /// key: the place is found or claimed with one hashing.
    private static func stored(_ place: inout Int) -> Int { place }
}
