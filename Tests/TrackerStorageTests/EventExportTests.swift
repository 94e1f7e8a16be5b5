import Foundation
import Testing
import TrackerCore
import TrackerStorage
import TrackerTesting

@Suite struct EventExportTests {
    @Test func pagesGiveEveryEventOnceInTimeOrderEvenWithinOneMillisecond() async throws {
        let store = MemoryEventStore()
        // 30 events over 6 milliseconds, 5 per millisecond: pages of 4 split every millisecond.
        let events = (0..<30).map { EventBuilder.event($0, at: Double($0 / 5) / 1000) }
        try await store.append(events)
        var exported: [Event] = []
        try await EventExport.pages(store, EventQuery(), pageSize: 4) { exported += $0 }
        #expect(exported.map(\.eid) == events.map(\.eid))
        // A single millisecond holding more than a page.
        let crowded = MemoryEventStore()
        try await crowded.append((0..<9).map { EventBuilder.event($0) })
        var all: [Event] = []
        try await EventExport.pages(crowded, EventQuery(), pageSize: 2) { all += $0 }
        #expect(Set(all.map(\.eid)).count == 9 && all.count == 9)
    }

    @Test func ndjsonLinesAreJSONWithEveryField() throws {
        let event = EventBuilder.event(1)
        let line = EventExport.line(event, .ndjson)
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["eid"] as? String == event.eid && object["server"] as? Bool == false)
        #expect(object["created"] as? String == Timestamp.format(event.created))
        #expect((object["params"] as? [String: String])?["plan"] == "Pro Ünïcode \"quoted\"\n")
        #expect(object["duration"] as? Int == 34752 && object["lat"] as? Double == 37.232332)
    }

    @Test func escapesEveryCharacterJSONRequires() throws {
        var event = EventBuilder.event(2)
        event[.ename] = "tab\there \"quoted\" back\\slash \u{1} ünï 😀\r\n"
        event.isServer = true
        let object = try #require(try JSONSerialization.jsonObject(with: Data(EventExport.jsonBytes(event))) as? [String: Any])
        #expect(object["ename"] as? String == event[.ename])
        #expect(object["server"] as? Bool == true)
        #expect(EventExport.event(fromJSON: EventExport.jsonBytes(event)) == event)
    }

    @Test func theJSONObjectReadsBackIntoTheSameEvent() {
        for event in [EventBuilder.event(4), EventBuilder.event(5, at: 3.5)] {
            #expect(EventExport.event(fromJSON: EventExport.jsonBytes(event)) == event)
        }
        #expect(EventExport.event(fromJSON: Array("{\"eid\":1}".utf8)) == nil)
        #expect(EventExport.event(fromJSON: Array("nonsense".utf8)) == nil)
    }

    @Test func csvQuotesWhatNeedsQuotingAndHasAHeader() throws {
        let header = try #require(EventExport.header(.csv))
        #expect(header.hasPrefix("eid,created,server,hhash,host,") && header.hasSuffix("params,nparams\r\n"))
        var event = EventBuilder.sparse(1)
        event[.url] = "https://example.com/?a=1,b=\"2\""
        let line = EventExport.line(event, .csv)
        #expect(line.contains(",\"https://example.com/?a=1,b=\"\"2\"\"\","))
        #expect(line.split(separator: ",", omittingEmptySubsequences: false).count >= EventExport.columns.count)
    }
}
