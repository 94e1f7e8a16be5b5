import Foundation

/// Text columns of an event, named as upstream's schema (spec §5) so existing queries keep working.
public enum EventField: String, CaseIterable, Sendable, Codable {
    case hhash, host, vid, sid, uid, did, app, rel, last, url, ip, iphash, ptyp, bhash, auth
    case xid, split, ver, ename, etyp, sink, source, medium, campaign, term
    case country, region, city, culture, ref, rcode, aff, browser, device, os, tz, targets
    case rid, relation, gaid, idfa, msid, fbid, ehash, chash, uhash, outcome, route
}

/// Fields key the dictionaries of every event, so their hashing is on the hot path: a String-backed
/// enum hashes and compares its raw String by default (RawRepresentable's implementations); these
/// use the case's one-byte tag instead.
extension EventField {
    /// The case's place in the declaration (0, 1, ...): its one-byte representation.
    @inlinable public var tag: UInt8 { unsafeBitCast(self, to: UInt8.self) }
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool { lhs.tag == rhs.tag }
    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(tag) }
}

extension NumericField {
    /// The case's place in the declaration (0, 1, ...): its one-byte representation.
    @inlinable public var tag: UInt8 { unsafeBitCast(self, to: UInt8.self) }
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool { lhs.tag == rhs.tag }
    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(tag) }
}

/// Numeric columns. `isInteger` says which are stored as SQL integers.
public enum NumericField: String, CaseIterable, Sendable, Codable {
    case cflags, duration, score, lat, lon, w, h

    public var isInteger: Bool {
        switch self {
        case .cflags, .duration, .w, .h: return true
        case .score, .lat, .lon: return false
        }
    }
}

/// One tracked event, as every sink stores it: one row, upstream column names, plus the free-form
/// `params` (text) and `nparams` (numeric) maps.
public struct Event: Sendable, Equatable {
    /// Server-generated, time-ordered (UUIDv7); the idempotency key of every sink.
    public var eid: String
    /// Server time of receipt.
    public var created: Date
    /// True for `/str/` events sent by a backend rather than a browser.
    public var isServer: Bool
    public var text: FieldValues<EventField, String>
    public var numbers: FieldValues<NumericField, Double>
    public var params: ParamMap<String>
    public var nparams: ParamMap<Double>

    public init(eid: String, created: Date, isServer: Bool = false,
                text: FieldValues<EventField, String> = [:], numbers: FieldValues<NumericField, Double> = [:],
                params: ParamMap<String> = [:], nparams: ParamMap<Double> = [:]) {
        self.eid = eid
        self.created = created
        self.isServer = isServer
        self.text = text
        self.numbers = numbers
        self.params = params
        self.nparams = nparams
    }

    public subscript(field: EventField) -> String? {
        get { text[field] }
        set { text[field] = newValue }
    }

    public subscript(field: NumericField) -> Double? {
        get { numbers[field] }
        set { numbers[field] = newValue }
    }
}
