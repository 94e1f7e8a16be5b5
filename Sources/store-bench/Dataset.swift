import Foundation
import TrackerCore

/// A realistic, reproducible data set: events over 90 days for 50 sites, sites, pages and
/// referrers drawn from power laws (a few take most of the traffic), visitors returning over days,
/// in the order a tracker delivers them (receipt time; earlier runs drew times at random, which no
/// node produces and which scattered every index insert).
struct Dataset {
    static let sites = 50
    static let days = 90.0
    let count: Int
    let end: Date
    var random: SplitMix64

    init(count: Int, end: Date, seed: UInt64 = 42) {
        self.count = count
        self.end = end
        random = SplitMix64(seed: seed)
    }

    static func site(_ index: Int) -> String { "site\(index)" }

    static let siteWeights = Zipf(count: sites, exponent: 1.0)
    static let pageWeights = Zipf(count: 2000, exponent: 1.1)
    static let referrerWeights = Zipf(count: 300, exponent: 1.2)
    static let devices = ["Linux", "Windows", "Mac", "iOS", "Android"]
    static let zones = ["America/Los_Angeles", "America/New_York", "Europe/Berlin", "Europe/London", "Asia/Tokyo", "Australia/Sydney"]
    static let countries = ["us", "us", "de", "gb", "jp", "au", "fr", "br"]

    /// The next `size` events (at most what is left of `count`), each with a unique time-ordered id.
    mutating func batch(_ size: Int, from index: Int) -> [Event] {
        (index..<min(index + size, count)).map { make($0) }
    }

    mutating func make(_ n: Int) -> Event {
        let site = Self.siteWeights.draw(&random)
        // In arrival order, as a node's spool delivers them (event n of count at its share of the
        // 90 days), with up to a second of disorder between nodes.
        let span = Self.days * 86_400
        let offset = min(span - 0.001, Double(n) / Double(count) * span + Double(random.next() % 1000) / 1000)
        let created = Timestamp.truncated(end.addingTimeInterval(-Self.days * 86_400 + offset))
        // Each site has its own visitors; a visitor comes back over several days.
        let visitor = random.next() % UInt64(20_000 + 200_000 / (site + 1))
        let day = Int(offset / 86_400)
        var event = Event(eid: Self.uuid(prefix: UInt64(Timestamp.milliseconds(created)), n: UInt64(n)), created: created)
        event[.hhash] = Self.site(site)
        event[.host] = "\(Self.site(site)).example"
        event[.vid] = Self.uuid(prefix: UInt64(site) << 32 | visitor, n: 0)
        event[.sid] = Self.uuid(prefix: UInt64(site) << 32 | visitor, n: UInt64(day + 1))
        event[.url] = "//\(Self.site(site)).example/p/\(Self.pageWeights.draw(&random))"
        if random.next() % 10 < 6 { event[.last] = "https://ref\(Self.referrerWeights.draw(&random)).example/" }
        let kind = random.next() % 20
        event[.ename] = kind < 16 ? "page_view" : kind < 19 ? "click" : "signup"
        event[.etyp] = kind < 16 ? "pageview" : kind < 19 ? "click" : "conversion"
        event[.device] = Self.devices[Int(random.next() % UInt64(Self.devices.count))]
        event[.os] = event[.device]
        event[.tz] = Self.zones[Int(random.next() % UInt64(Self.zones.count))]
        event[.country] = Self.countries[Int(random.next() % UInt64(Self.countries.count))]
        event[.iphash] = String(random.next() % 1_000_000, radix: 36)
        event[.route] = "tr"
        event[.w] = [1280, 1920, 390, 414][Int(random.next() % 4)]
        event[.h] = [720, 1080, 844, 896][Int(random.next() % 4)]
        event[.duration] = Double(random.next() % 120_000)
        if kind >= 19 { event.params = ["plan": ["free", "pro", "team"][Int(random.next() % 3)]] }
        return event
    }

    /// A UUIDv7-shaped id: time (or any 48 bits) first, so ids sort by time.
    static func uuid(prefix: UInt64, n: UInt64) -> String {
        let a = prefix & 0xFFFF_FFFF_FFFF, b = n & 0xFFF, c = (n >> 12) & 0xFFFF_FFFF_FFFF_FFF
        let hex = String(format: "%012llx7%03llx8%015llx", a, b, c)
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-" + String(chars[16..<20]) + "-"
            + String(chars[20..<32])
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Ranks 0..<count drawn with probability ∝ 1 / (rank + 1)^exponent.
struct Zipf {
    let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        var sums: [Double] = []
        for rank in 0..<count {
            total += 1 / pow(Double(rank + 1), exponent)
            sums.append(total)
        }
        cumulative = sums.map { $0 / total }
    }

    func draw(_ random: inout SplitMix64) -> Int {
        let u = Double(random.next() >> 11) / Double(1 << 53)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
