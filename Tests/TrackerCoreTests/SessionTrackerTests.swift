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

    /// A visitor the server mints is not remembered: its first session comes from its id, and
    /// is found again from its id when it comes back within the timeout.
    @Test func aMintedVisitorsFirstSessionComesFromItsId() throws {
        let tracker = SessionTracker()
        let random = SystemRandomSource()
        let vid = TimeUUID.v7(at: at(0), random: random)
        let text = TimeUUID.text(vid)
        let first = tracker.session(site: "s", newVisitor: vid, clientSID: nil, at: at(0), mint: { Issue.record("minted"); return vid })
        #expect(tracker.count == 0)
        let sid = try #require(TimeUUID.parse(first))
        #expect(TimeUUID.version(of: sid) == 7 && TimeUUID.timestamp(of: sid) == TimeUUID.timestamp(of: vid))
        #expect(first != text && first == TimeUUID.text(SessionTracker.firstSession(of: vid, site: "s")))
        #expect(tracker.session(site: "s", vid: text, clientSID: nil, at: at(29), mint: { "new" }) == first)
        #expect(tracker.count == 1, "remembered once it came back")
        #expect(tracker.session(site: "s", vid: text, clientSID: nil, at: at(50), mint: { "new" }) == first,
                "21 minutes after its last hit, 50 after it was minted")
        #expect(tracker.session(site: "other", vid: text, clientSID: nil, at: at(1), mint: { "o" })
                == TimeUUID.text(SessionTracker.firstSession(of: vid, site: "other")), "sessions are per site")

        let late = TimeUUID.v7(at: at(0), random: random)
        _ = tracker.session(site: "s", newVisitor: late, clientSID: nil, at: at(0), mint: { late })
        #expect(tracker.session(site: "s", vid: TimeUUID.text(late), clientSID: nil, at: at(31), mint: { "new" }) == "new",
                "back 31 minutes after it was minted: a new session")
        // A client's own sid is remembered as before.
        let withSID = TimeUUID.v7(at: at(0), random: random)
        #expect(tracker.session(site: "s", newVisitor: withSID, clientSID: "theirs", at: at(0), mint: { withSID }) == "theirs")
        #expect(tracker.session(site: "s", vid: TimeUUID.text(withSID), clientSID: nil, at: at(5), mint: { "new" }) == "theirs")
    }

    @Test func firstSessionsAreDistinctPerVisitorAndSite() {
        let random = SystemRandomSource()
        var seen = Set<UUID>()
        for _ in 0..<2000 {
            let vid = TimeUUID.v7(at: at(0), random: random)
            for site in ["a", "b"] {
                let sid = SessionTracker.firstSession(of: vid, site: site)
                #expect(sid == SessionTracker.firstSession(of: vid, site: site))
                #expect(seen.insert(sid).inserted)
                #expect(TimeUUID.canonical(TimeUUID.text(sid)) == TimeUUID.text(sid))
            }
        }
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
