#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The cookies a hit is made of (`HitParser`): `vid`, `sid`, `CookieConsent` and `user`. A
/// request's other cookies are not read. Four fields instead of a dictionary: a dictionary was
/// allocated and each name hashed on every tracking request, to hold two ids.
public struct HitCookies: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public var vid: String?
    public var sid: String?
    public var consent: String?
    public var user: String?

    /// The names read, as they are sent (cookie names are case-sensitive).
    public static let names = ["vid", "sid", "CookieConsent", "user"]

    public enum Name: Sendable { case vid, sid, consent, user }

    public init() {}

    public init(vid: String?, sid: String? = nil, consent: String? = nil, user: String? = nil) {
        self.vid = vid
        self.sid = sid
        self.consent = consent
        self.user = user
    }

    /// The first of each name counts, as in a `Cookie` header.
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements where self[name] == nil { self[name] = value }
    }

    public init(_ cookies: [String: String]) {
        for (name, value) in cookies { self[name] = value }
    }

    public subscript(name: Name) -> String? {
        get {
            switch name {
            case .vid: vid
            case .sid: sid
            case .consent: consent
            case .user: user
            }
        }
        set {
            switch name {
            case .vid: vid = newValue
            case .sid: sid = newValue
            case .consent: consent = newValue
            case .user: user = newValue
            }
        }
    }

    public subscript(name: String) -> String? {
        get { Self.name(of: name).flatMap { self[$0] } }
        set { if let known = Self.name(of: name) { self[known] = newValue } }
    }

    /// Which of the names these bytes are, if any.
    public static func name(of bytes: UnsafeBufferPointer<UInt8>) -> Name? {
        func equals(_ word: StaticString) -> Bool {
            bytes.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0
        }
        switch bytes.count {
        case 3: return equals("vid") ? .vid : equals("sid") ? .sid : nil
        case 4: return equals("user") ? .user : nil
        case 13: return equals("CookieConsent") ? .consent : nil
        default: return nil
        }
    }

    static func name(of text: String) -> Name? {
        var text = text
        return text.withUTF8 { name(of: $0) }
    }
}
