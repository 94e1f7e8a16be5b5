import Foundation
import Testing
@testable import TrackerCore

@Suite struct ClientAddressTests {
    let resolver = ClientAddress(trustedProxies: [IPNetwork("10.0.0.0/8")!, IPNetwork("::1")!])

    @Test func forwardedForIsIgnoredFromUntrustedPeers() {
        #expect(resolver.resolve(peer: "198.51.100.1", forwardedFor: ["1.2.3.4"]) == "198.51.100.1")
    }

    @Test func forwardedForIsWalkedFromTheRightPastTrustedHops() {
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.5, 10.1.1.1"]) == "203.0.113.5")
        #expect(resolver.resolve(peer: "::1", forwardedFor: ["203.0.113.5"]) == "203.0.113.5")
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: ["[2001:db8::1]:443"]) == "2001:db8::1")
    }

    @Test func theStandardForwardedHeaderIsRead() {
        let chain = ClientAddress.forwardedFor([#"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711""#, "For=198.51.100.9"])
        #expect(chain == ["192.0.2.60", "[2001:db8:cafe::17]:4711", "198.51.100.9"])
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: ClientAddress.forwardedFor([#"for="[2001:db8:cafe::17]:4711""#])) == "2001:db8:cafe::17")
        #expect(ClientAddress.forwardedFor(["proto=https"]).isEmpty)
    }

    @Test func junkInForwardedForFallsBackToTheLastGoodAddress() {
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: ["junk"]) == "10.0.0.2")
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: []) == "10.0.0.2")
    }

    @Test func mappedIPv4IsCanonicalised() {
        #expect(resolver.resolve(peer: "::ffff:192.0.2.1", forwardedFor: []) == "192.0.2.1")
    }

    @Test func networksMatchByPrefix() throws {
        let net = try #require(IPNetwork("192.168.0.0/16"))
        #expect(net.contains(ClientAddress.bytes("192.168.44.1")!))
        #expect(!net.contains(ClientAddress.bytes("192.169.0.1")!))
        #expect(IPNetwork("300.1.1.1") == nil)
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("2001:db8::/32")!.contains(ClientAddress.bytes("2001:db8:1::5")!))
    }
}

@Suite struct PublicSuffixTests {
    @Test(arguments: [
        ("tr.example.com", "example.com"), ("tr.example.co.uk", "example.co.uk"), ("a.b.example.co.uk", "example.co.uk"),
        ("example.com", "example.com"), ("user.github.io", "user.github.io"), ("x.city.kawasaki.jp", "city.kawasaki.jp"),
    ])
    func registrableDomains(_ host: String, _ expected: String) {
        #expect(PublicSuffix.shared.registrableDomain(host) == expected)
    }

    @Test(arguments: ["localhost", "co.uk", "com", "127.0.0.1", "::1", "[::1]", "", "a..b"])
    func noDomainForIPsSuffixesAndSingleLabels(_ host: String) {
        #expect(PublicSuffix.shared.registrableDomain(host) == nil)
    }
}

@Suite struct URLCleanerTests {
    @Test func hostsOfURLs() {
        #expect(URLCleaner.host(of: "https://User@Example.com:8443/x") == "example.com")
        #expect(URLCleaner.host(of: "//cdn.example.com/a") == "cdn.example.com")
        #expect(URLCleaner.host(of: "http://[2001:db8::1]:80/") == "2001:db8::1")
        #expect(URLCleaner.host(of: "/relative") == nil)
        #expect(URLCleaner.host(of: "https://shop.example.com") == "shop.example.com", "an Origin")
        #expect(URLCleaner.host(of: "HTTPS://A.Example.COM?x=1#y") == "a.example.com")
        #expect(URLCleaner.host(of: "https://a@b@Host.example#f") == "host.example", "after the last @")
        #expect(URLCleaner.host(of: "https://user@/path") == nil, "user info is no host")
        #expect(URLCleaner.host(of: "https://:443/") == nil)
        #expect(URLCleaner.host(of: "https://[::1/") == "::1", "an unclosed bracket ends with the authority")
        #expect(URLCleaner.host(of: "https://BÜCHER.example/") == "bücher.example", "non-ASCII names are lower-cased too")
        #expect(URLCleaner.host(of: "null") == nil, "a sandboxed page's Origin")
        #expect(URLCleaner.host(of: "") == nil)
    }

    @Test func upstreamVector() {
        #expect(URLCleaner().clean("https://Example.com/A?b=1") == "//example.com/A")
    }

    @Test func onlyAnHTTPSchemeAndItsHostChange() {
        #expect(URLCleaner.protocolRelative("HTTPS://Shop.Example.COM:8443/Cart/A?x=Y#F") == "//shop.example.com:8443/Cart/A?x=Y#F")
        #expect(URLCleaner.protocolRelative("https://Bücher.DE/Ä") == "//bücher.de/Ä")
        #expect(URLCleaner.protocolRelative("http://Host") == "//host")
        for unchanged in ["mailto:A@B.c", "ftp://Host/x", "a:b://Host/x", "https:", "https:/x", "/Path://x", ""] {
            #expect(URLCleaner.protocolRelative(unchanged) == unchanged)
        }
        #expect(URLCleaner().clean(" https://A.com/P#frag ") == "//a.com/P")
        #expect(URLCleaner.stripQuery("/a#b?c") == "/a" && URLCleaner.stripQuery("/é?x") == "/é")
        // The one-pass cleaner agrees with the two steps it replaces (listed, then 3 000 random).
        for url in ["HTTPS://Shop.Example.COM:8443/Cart/A?x=Y#F", "https://Bücher.DE/Ä?q", "http://Host", "http://H?x", "mailto:A@B.c",
                    "ftp://Host/x?y", "a:b://Host/x", "https:", "/Path://x?y#z", "", "//Cdn.Example/A?b", "https://a.com#x", "HtTp://UP/é"] {
            #expect(URLCleaner.withoutSchemeAndQuery(url) == URLCleaner.stripQuery(URLCleaner.protocolRelative(url)))
        }
        let pieces = ["https", "HTTP", "ftp", "://", ":", "/", "//", "?", "#", "Host", "é", "A", "b", ".", "x:1", "%2F", " "]
        for _ in 0..<3000 {
            let url = (0..<Int.random(in: 0...8)).map { _ in pieces.randomElement()! }.joined()
            #expect(URLCleaner.withoutSchemeAndQuery(url) == URLCleaner.stripQuery(URLCleaner.protocolRelative(url)), "\(url)")
        }
    }
}

@Suite struct TimeAndIdentityTests {
    @Test func timestampsRoundTripAtMillisecondPrecision() {
        let date = Timestamp.date(milliseconds: 1_790_000_000_123)
        #expect(Timestamp.format(date) == "2026-09-21T14:13:20.123Z")
        #expect(Timestamp.parse("2026-09-21T14:13:20.123Z") == date)
        #expect(Timestamp.parse("2026-09-21T14:13:20Z") == Timestamp.date(milliseconds: 1_790_000_000_000))
        #expect(Timestamp.parse("yesterday") == nil)
    }

    /// Against Foundation's ISO-8601 formatter, over 1900–2100, edges of days and years included.
    @Test func timestampsAreFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Leap days (2000, 2024), the century that is not leap (2100) and days before 1970.
        var milliseconds: [Int64] = [0, 999, 86_399_999, 86_400_000, 946_684_799_999, 946_684_800_000, 4_102_444_799_999,
                                     951_782_400_000, 951_868_799_999, 1_709_164_800_000, 4_107_456_000_000, 4_107_542_400_000,
                                     -1, -1000, -86_400_000, -86_400_001, -2_208_988_800_000]
        milliseconds += (0..<2000).map { _ in Int64.random(in: 0..<4_102_444_800_000) }
        milliseconds += (0..<200).map { _ in Int64.random(in: -2_208_988_800_000..<0) }
        for ms in milliseconds {
            let date = Timestamp.date(milliseconds: ms)
            #expect(Timestamp.format(date) == formatter.string(from: date), "\(ms)")
            #expect(Timestamp.parse(Timestamp.format(date)) == date)
            #expect(Timestamp.milliseconds(date) == ms && Timestamp.truncated(date) == date, "\(ms) survives a round trip")
        }
    }

    @Test func uuidParsingAgreesWithFoundation() {
        for _ in 0..<1000 {
            let uuid = UUID()
            #expect(TimeUUID.parse(uuid.uuidString) == uuid && TimeUUID.parse(uuid.uuidString.lowercased()) == uuid)
            var upperCase = false
            _ = TimeUUID.parse(uuid.uuidString, upperCase: &upperCase)
            #expect(upperCase == uuid.uuidString.contains(where: \.isUppercase))
            _ = TimeUUID.parse(uuid.uuidString.lowercased(), upperCase: &upperCase)
            #expect(!upperCase)
        }
        let good = "3d0be300-cbd2-11e8-aa59-ffd128a54d91"
        for bad in ["3d0be300-cbd2-11e8-aa59-ffd128a54d9", "3d0be300xcbd2-11e8-aa59-ffd128a54d91", "3d0be300-cbd2-11e8-aa59-ffd128a54d9g",
                    "{3d0be300-cbd2-11e8-aa59-ffd128a54d}", "3d0be300-cbd2-11e8-aa5-9ffd128a54d91", "3d0be300-cbd2-11e8-aa59-ffd128a54d9é"] {
            #expect(TimeUUID.parse(bad) == nil && UUID(uuidString: bad) == nil)
        }
        #expect(TimeUUID.parse(good).map(TimeUUID.text) == good)
    }

    @Test func canonicalIDsAreLowerCaseFoundationText() {
        for _ in 0..<1000 {
            let uuid = UUID()
            let expected = uuid.uuidString.lowercased()
            #expect(TimeUUID.canonical(uuid.uuidString) == expected && TimeUUID.canonical(expected) == expected)
            let mixed = String(uuid.uuidString.enumerated().map { $0.offset.isMultiple(of: 2) ? Character($0.element.lowercased()) : $0.element })
            #expect(TimeUUID.canonical(mixed) == expected)
        }
        #expect(TimeUUID.canonical("not-a-uuid") == nil && TimeUUID.canonical("") == nil)
    }

    @Test func mintedIDsAreVersion7WithTheirMillisecond() {
        let random = SystemRandomSource()
        let date = Date(timeIntervalSince1970: 1_764_000_000.123)
        var seen = Set<UUID>()
        for _ in 0..<1000 {
            let uuid = TimeUUID.v7(at: date, random: random)
            #expect(TimeUUID.version(of: uuid) == 7 && uuid.uuid.8 >> 6 == 0b10)
            #expect(TimeUUID.timestamp(of: uuid).map(Timestamp.milliseconds) == Timestamp.milliseconds(date))
            seen.insert(uuid)
        }
        #expect(seen.count == 1000, "the random bits differ")
    }

    @Test func idsMintedInTurnSortInTurnWithinAMillisecond() {
        let random = SystemRandomSource()
        let start = 1_764_000_000.123
        // One a microsecond, within one millisecond and across the next (text order is what the
        // store's indexes compare).
        let ids = (0..<1500).map { TimeUUID.text(TimeUUID.v7(at: Date(timeIntervalSince1970: start + Double($0) / 1_000_000), random: random)) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        let sameInstant = (0..<100).map { _ in TimeUUID.v7(at: Date(timeIntervalSince1970: start), random: random) }
        #expect(Set(sameInstant).count == 100, "ids of one instant still differ by their random bits")
    }

    @Test func uuidTextIsFoundationsInLowerCase() {
        for _ in 0..<1000 {
            let uuid = UUID()
            #expect(TimeUUID.text(uuid) == uuid.uuidString.lowercased())
        }
    }

    @Test func v1TimestampsAreDecoded() throws {
        let uuid = try #require(TimeUUID.parse("14fb0860-b4bf-11e9-8971-7b80435315ac"))
        #expect(TimeUUID.version(of: uuid) == 1)
        let date = try #require(TimeUUID.timestamp(of: uuid))
        #expect(Timestamp.format(date).hasPrefix("2019-08-02"))
    }

    @Test func sessionsAreSeededAndPruned() {
        let tracker = SessionTracker(timeout: 60, maxEntries: 10)
        let now = EventClock.reference
        tracker.seed(site: "s", vid: "v", sid: "restored", lastSeen: now)
        #expect(tracker.session(site: "s", vid: "v", clientSID: nil, at: now.addingTimeInterval(30), mint: { "new" }) == "restored")
        #expect(tracker.session(site: "s", vid: "v", clientSID: nil, at: now.addingTimeInterval(200), mint: { "new" }) == "new")
        for i in 0..<50 { _ = tracker.session(site: "s", vid: "v\(i)", clientSID: nil, at: now, mint: { "x" }) }
        #expect(tracker.count <= 11)
    }
}

enum EventClock {
    static let reference = Timestamp.date(milliseconds: 1_790_000_000_000)
}
