import Foundation
import Testing
@testable import TrackerCore

@Suite struct SessionTrackerTests {
    let start = EventClock.reference

    func at(_ minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }

    @Test func aSessionContinuesAcrossARotation() {
        let tracker = SessionTracker(timeout: 30 * 60)
        #expect(tracker.session(site: "s", vid: "a", clientSID: nil, at: at(0), mint: { "a1" }) == "a1")
        #expect(tracker.session(site: "s", vid: "a", clientSID: nil, at: at(25), mint: { "a2" }) == "a1")
        // Another visitor at minute 31 rotates the generations: "a" is now in the previous one.
        #expect(tracker.session(site: "s", vid: "b", clientSID: nil, at: at(31), mint: { "b1" }) == "b1")
        #expect(tracker.session(site: "s", vid: "a", clientSID: nil, at: at(40), mint: { "a3" }) == "a1",
                "15 minutes after its last hit the session is still active")
        #expect(tracker.session(site: "s", vid: "a", clientSID: nil, at: at(71), mint: { "a4" }) == "a4",
                "31 minutes after its last hit a new session starts")
    }

    @Test func expiredVisitorsAreDroppedWithTheirGeneration() {
        let tracker = SessionTracker(timeout: 30 * 60)
        for n in 0..<100 { _ = tracker.session(site: "s", vid: "v\(n)", clientSID: nil, at: at(0), mint: { "x" }) }
        #expect(tracker.count == 100)
        _ = tracker.session(site: "s", vid: "late", clientSID: nil, at: at(30), mint: { "y" })
        #expect(tracker.count == 101, "one rotation keeps the previous generation")
        _ = tracker.session(site: "s", vid: "later", clientSID: nil, at: at(60), mint: { "z" })
        #expect(tracker.count == 2, "the second drops the 100 not seen for an hour")
    }

    @Test func aNewVisitorsSessionIsFoundOnItsNextHit() {
        let tracker = SessionTracker()
        #expect(tracker.session(site: "s", vid: "fresh", clientSID: nil, at: at(0), newVisitor: true, mint: { "f1" }) == "f1")
        #expect(tracker.session(site: "s", vid: "fresh", clientSID: nil, at: at(1), mint: { "f2" }) == "f1")
        #expect(tracker.session(site: "other", vid: "fresh", clientSID: nil, at: at(1), mint: { "o1" }) == "o1",
                "sessions are per site")
    }

    @Test func aClientSessionIsRememberedForLaterHitsWithout() {
        let tracker = SessionTracker()
        #expect(tracker.session(site: "s", vid: "c", clientSID: "mine", at: at(0), mint: { "x" }) == "mine")
        #expect(tracker.session(site: "s", vid: "c", clientSID: nil, at: at(5), mint: { "x" }) == "mine")
    }

    /// Ids are kept as 16 bytes when that gives back exactly the text they came as, else as text.
    @Test func idsComeBackExactlyAsGiven() {
        var random = SystemRandomNumberGenerator()
        var ids = (0..<500).map { _ in UUID().uuidString.lowercased() }
        ids += (0..<500).map { _ in TimeUUID.text(TimeUUID.v7(at: Date(), random: SystemRandomSource())) }
        ids += ["3D0BE300-CBD2-11E8-AA59-FFD128A54D91", "user-42", "", "3d0be300-cbd2-11e8-aa59-ffd128a54d9g",
                "3d0be300xcbd2-11e8-aa59-ffd128a54d91", "é"]
        for id in ids {
            let compact = SessionTracker.CompactID(id)
            #expect(compact.text == id)
            if case .uuid = compact {
                #expect(id == id.lowercased() && UUID(uuidString: id) != nil)
            } else {
                #expect(id != id.lowercased() || UUID(uuidString: id) == nil, "\(id) could have been compact")
            }
        }
        let tracker = SessionTracker()
        for id in ids.shuffled(using: &random) {
            #expect(tracker.session(site: "s", vid: id, clientSID: nil, at: at(0), mint: { id }) == id)
            #expect(tracker.session(site: "s", vid: id, clientSID: nil, at: at(1), mint: { "other" }) == id)
        }
    }

    /// Memory stays bounded however many visitors arrive within the timeout, and each hit costs
    /// the same: a full generation rotates instead of being sorted.
    @Test func manyVisitorsWithinTheTimeoutStayUnderTheBound() {
        let tracker = SessionTracker(timeout: 30 * 60, maxEntries: 1000)
        for n in 0..<10_000 {
            _ = tracker.session(site: "s", vid: "v\(n)", clientSID: nil, at: at(Double(n) / 1000), newVisitor: true, mint: { "x" })
            #expect(tracker.count <= 1000)
        }
        #expect(tracker.count >= 500, "the newest visitors are kept")
        #expect(tracker.session(site: "s", vid: "v9999", clientSID: nil, at: at(11), mint: { "new" }) == "x")
    }

    /// With the default bound visitors spread over 32 shards (so no map grows past a few
    /// thousand entries and rehashes for long), whatever the kind of id: v7 and v4 ids, v1 ids
    /// of one client (their last bytes are its node), and ids that are not UUIDs.
    @Test func visitorsSpreadOverTheShards() {
        let tracker = SessionTracker()
        #expect(tracker.shards.count == 32)
        let v1Node = "-11e9-8971-7b80435315ac"
        let kinds: [(String, (Int) -> String)] = [
            ("v7", { _ in TimeUUID.text(TimeUUID.v7(at: Date(), random: SystemRandomSource())) }),
            ("v4", { _ in UUID().uuidString.lowercased() }),
            ("v1", { String(format: "%08x-%04x", $0 &* 7919, $0 % 65536) + v1Node }),
            ("text", { "visitor-\($0)" }),
        ]
        for (kind, id) in kinds {
            var sizes = [Int](repeating: 0, count: 32)
            for n in 0..<6400 {
                let key = SessionTracker.Key(site: "s", vid: id(n))
                sizes[tracker.shards.firstIndex { $0 === tracker.shard(key) }!] += 1
            }
            #expect(sizes.max()! < 400 && sizes.min()! > 100, "\(kind): \(sizes)")
        }
    }
}
