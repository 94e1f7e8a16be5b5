/// The request keys the pipeline gives a meaning to: every column a client may send, the identity,
/// URL and personal-data keys its steps take, and upstream's protocol plumbing. Any other key goes
/// to `params`. A request's values are kept by these (`HitValues`), so the keys an event nearly
/// always carries are found by their bytes once, not hashed as strings at every step.
public enum HitKey: UInt8, CaseIterable, Sendable {
    case vid, sid, uid, host, acct, cookieless, url, last, email, cell, uname, params, content, version
    // Text columns.
    case did, app, rel, ptyp, auth, xid, split, ver, ename, etyp, sink, source, medium, campaign, term
    case country, region, city, culture, ref, rcode, aff, browser, device, os, tz, targets
    case rid, relation, gaid, idfa, msid, fbid, outcome, ehash, chash, uhash
    // Numeric columns.
    case cflags, duration, score, lat, lon, w, h
    // Protocol plumbing: never stored.
    case first, created, time, hhash, iphash, ip, bhash, latlon, vp, tr, str

    public static let count = allCases.count

    /// The key as a request spells it (lower case).
    public var name: String { Self.names[Int(rawValue)] }

    /// Where the `columns` step puts the value; nil for keys another step takes or that stay in
    /// `params` when left over (`content` beside an `ename`, `version` beside a `ver`).
    public enum Column: Sendable, Equatable {
        case text(EventField)
        case number(NumericField)
        case plumbing
    }

    public var column: Column? { Self.columns[Int(rawValue)] }

    static let names: [String] = allCases.map { String(describing: $0) }

    static let columns: [Column?] = allCases.map { key in
        if key.rawValue >= HitKey.first.rawValue { return .plumbing }
        if let field = NumericField(rawValue: key.name) { return .number(field) }
        if key.rawValue >= HitKey.did.rawValue, let field = EventField(rawValue: key.name) { return .text(field) }
        return nil
    }

    /// The key spelled exactly by these bytes (already lower case), if it is one.
    @inlinable public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let key = KeyTable.shared.find(bytes) else { return nil }
        self = key
    }

    public init?(name: String) {
        var name = name
        guard let key = name.withUTF8({ KeyTable.shared.find($0) }) else { return nil }
        self = key
    }
}

/// An open-addressing table from a key's bytes to its case: a hash of the length and three bytes,
/// then one byte comparison. Sized four times the keys, so a miss (a `params` key) usually ends at
/// the first empty slot.
@usableFromInline final class KeyTable: Sendable {
    @usableFromInline static let shared = KeyTable()

    static let size = 256
    /// Per slot: the key's raw value + 1, 0 when empty.
    let slots: [UInt8]
    /// All names' bytes back to back, and where each starts and ends.
    let bytes: [UInt8]
    let bounds: [(start: Int, end: Int)]

    init() {
        var slots = [UInt8](repeating: 0, count: Self.size)
        var bytes: [UInt8] = []
        var bounds: [(Int, Int)] = []
        for key in HitKey.allCases {
            let name = Array(key.name.utf8)
            bounds.append((bytes.count, bytes.count + name.count))
            bytes += name
            var slot = name.withUnsafeBufferPointer(Self.hash)
            while slots[slot] != 0 { slot = (slot + 1) & (Self.size - 1) }
            slots[slot] = key.rawValue + 1
        }
        self.slots = slots
        self.bytes = bytes
        self.bounds = bounds
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let count = key.count
        guard count > 0 else { return 0 }
        let mixed = UInt32(count) &* 0x9E37_79B1 ^ UInt32(key[0]) &* 0x85EB_CA6B
            ^ UInt32(key[count - 1]) &* 0xC2B2_AE35 ^ UInt32(key[count >> 1]) &* 0x27D4_EB2F
        return Int(mixed >> 24)
    }

    @usableFromInline func find(_ key: UnsafeBufferPointer<UInt8>) -> HitKey? {
        var slot = Self.hash(key)
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let bound = bounds[Int(entry - 1)]
            if bound.end - bound.start == key.count {
                var index = 0
                while index < key.count, bytes[bound.start + index] == key[index] { index += 1 }
                if index == key.count { return HitKey(rawValue: entry - 1) }
            }
            slot = (slot + 1) & (Self.size - 1)
        }
    }
}
