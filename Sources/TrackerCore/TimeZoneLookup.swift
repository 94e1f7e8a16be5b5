extension TimeZoneCountries {
    /// The country of an IANA time zone name in any ASCII case (browsers send `America/Los_Angeles`).
    static func country(ofZone zone: String) -> String? {
        byCaselessZone[CaselessKey(zone)]
    }

    private static let byCaselessZone = Dictionary(uniqueKeysWithValues: byZone.map { (CaselessKey($0.key), $0.value) })
}

/// Text hashed and compared without ASCII case: finding a zone this way cost a lower-cased copy
/// of every event's `tz`, a heap allocation for most names.
struct CaselessKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    /// Both on the strings' own bytes (their UTF-8 views, walked byte by byte, and a hasher fed
    /// a byte at a time cost more than the lower-cased copy this replaced).
    static func == (lhs: Self, rhs: Self) -> Bool {
        var (left, right) = (lhs.text, rhs.text)
        return left.withUTF8 { a in
            right.withUTF8 { b in a.count == b.count && !zip(a, b).contains { ASCII.lower($0) != ASCII.lower($1) } }
        }
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { bytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { lower in
                for index in bytes.indices { lower[index] = ASCII.lower(bytes[index]) }
                hasher.combine(bytes: UnsafeRawBufferPointer(lower))
            }
        }
    }
}
