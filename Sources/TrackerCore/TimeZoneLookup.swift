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

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.text.utf8.count == rhs.text.utf8.count
            && zip(lhs.text.utf8, rhs.text.utf8).allSatisfy { ASCII.lower($0) == ASCII.lower($1) }
    }

    func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(ASCII.lower(byte)) }
    }
}
