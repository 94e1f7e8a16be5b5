import Crypto
import Testing
@testable import TrackerCore

/// Upstream's test vectors (spec §20).
@Suite struct HashingTests {
    @Test func base36MatchesTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        for value in [0, 1, 35, 36, UInt32.max] + (0..<1000).map({ _ in UInt32.random(in: 0...UInt32.max, using: &generator) }) {
            #expect(Hashing.base36(value) == String(value, radix: 36), "\(value)")
        }
        #expect(Hashing.hostHash("ÉCOLE.example") == Hashing.base36(Hashing.fnv1a32("école.example")))
    }

    @Test func hostHashMatchesUpstream() {
        #expect(Hashing.fnv1a32("localhost") == 22_050_618)
        #expect(Hashing.hostHash("localhost") == "d4md6")
        #expect(Hashing.hostHash(" LocalHost ") == "d4md6")
        #expect(Hashing.hostHash("tr.sfpl.io") == "f4owns")
    }

    @Test func legacyIPHashMatchesUpstream() {
        #expect(Hashing.legacyIPHash("127.0.0.1") == "2eauxqsti0h26dc3qe1mfglks")
    }

    @Test func privateHashMatchesUpstreamWithAnEmptySalt() {
        #expect(Hashing.privateHash("password", salt: "") == "W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
        #expect(Hashing.privateHash("a@b.com", salt: "") == "ECKww6HZpkCa4N0jZP3P5B9jriI=")
        #expect(Hashing.privateHash(" A@B.com ", salt: "") == "ECKww6HZpkCa4N0jZP3P5B9jriI=")
        #expect(Hashing.privateHash("a@b.com", salt: "pepper") != "ECKww6HZpkCa4N0jZP3P5B9jriI=")
    }

    @Test func keyedIPHashDependsOnTheKeyAndIsStable() {
        let key = SymmetricKey(data: [UInt8](repeating: 7, count: 32))
        let other = SymmetricKey(data: [UInt8](repeating: 8, count: 32))
        let hash = Hashing.keyedIPHash("203.0.113.9", key: key)
        #expect(hash == Hashing.keyedIPHash("203.0.113.9", key: key))
        #expect(hash != Hashing.keyedIPHash("203.0.113.9", key: other))
        #expect(hash != Hashing.keyedIPHash("203.0.113.10", key: key))
        #expect(!hash.contains("203"))
        #expect(hash.count == 22)
    }
}

@Suite struct IPHashKeyTests {
    @Test func thePreparedKeyHashesAsTheFunctionDoes() {
        let key = IPHashKey(bytes: Array(repeating: 3, count: 32))
        for ip in ["127.0.0.1", "2001:db8::1", ""] {
            #expect(key.hash(ip) == Hashing.keyedIPHash(ip, key: key.key))
        }
    }

    /// Remembered hashes are the computed ones, for more addresses than the memo holds (so it is
    /// emptied on the way) and asked for twice.
    @Test func rememberedHashesAreTheComputedOnes() {
        let key = IPHashKey(bytes: Array(repeating: 5, count: 32))
        let other = IPHashKey(bytes: Array(repeating: 6, count: 32))
        let addresses = (0..<(RecentHashes.capacity + 500)).map { "10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)" }
        for _ in 0..<2 {
            for ip in addresses {
                #expect(key.hash(ip) == Hashing.keyedIPHash(ip, key: key.key))
            }
        }
        #expect(other.hash("10.0.0.1") == Hashing.keyedIPHash("10.0.0.1", key: other.key), "each key remembers its own")
        #expect(key.recent.entries.withLock { $0.count } <= RecentHashes.capacity)
    }
}
