import Crypto
import Foundation
import Synchronization

/// What the pipeline needs from configuration and the environment; built once at start.
public struct PipelineConfiguration: Sendable {
    /// Salt for `ehash`/`chash`/`uhash` (upstream `PrefixPrivateHash`).
    public var privateHashSalt: String
    /// Secret key of the IP hash.
    public var ipHashKey: IPHashKey
    /// Store raw client IPs in `ip` (off by default: only the keyed hash is stored).
    public var storeRawIP: Bool
    public var urlCleaner: URLCleaner
    /// Upstream `AccountHashMixer`: when set, every event must carry `acct = hash(host + mixer)`.
    public var accountHashMixer: String?
    /// Client hits without consent (`CookieConsent` / `cflags` absent or 0) are counted cookielessly.
    public var requireConsent: Bool

    public init(privateHashSalt: String = "", ipHashKey: IPHashKey = IPHashKey(),
                storeRawIP: Bool = false, urlCleaner: URLCleaner = URLCleaner(),
                accountHashMixer: String? = nil, requireConsent: Bool = false) {
        self.requireConsent = requireConsent
        self.privateHashSalt = privateHashSalt
        self.ipHashKey = ipHashKey
        self.storeRawIP = storeRawIP
        self.urlCleaner = urlCleaner
        self.accountHashMixer = accountHashMixer
    }
}

/// The result of the pipeline for one event.
public struct ProcessedEvent: Sendable {
    public var event: Event
    /// The `vid` cookie must be (re)set: the visitor was new, or stitched to a `uid`.
    public var setsVisitorCookie: Bool
}

/// The result of the pipeline for a request's events: the events as the ingest queue takes them
/// (an array of `ProcessedEvent` was mapped into one more array on every request).
public struct ProcessedHit: Sendable {
    public var events: [Event]
    /// The `vid` of the first event that sets the visitor cookie (`ProcessedEvent.setsVisitorCookie`).
    public var visitorCookie: String?
}

/// The pipeline's working state: the event being built, the values not yet consumed by a step, and
/// the request they came from.
public struct EventDraft: Sendable {
    public var event: Event
    public var values: HitValues
    public let hit: RawHit
    public var setsVisitorCookie = false

    /// Takes a value out of `values`, so the last step can put whatever is left into `params`.
    public mutating func take(_ key: HitKey) -> JSONValue? {
        values.take(key)
    }

    public mutating func takeText(_ key: HitKey) -> String? {
        guard let text = take(key)?.text else { return nil }
        let trimmed = ASCII.trimmed(text)
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// The secret of the keyed IP hash, with the HMAC already keyed: keying it (hashing the padded
/// key) cost more than hashing the address, so each use copies this value instead.
/// `SymmetricKey` and `HMAC` are immutable values here but not marked Sendable by Crypto.
public struct IPHashKey: @unchecked Sendable {
    public let key: SymmetricKey
    let keyed: HMAC<SHA256>
    /// Recent addresses' hashes: an HMAC was a fortieth of a tracked request's CPU, and a client
    /// sends many requests from one address (a keep-alive connection, a page's events).
    let recent = RecentHashes()

    public init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
        keyed = HMAC<SHA256>(key: key)
    }

    public init() {
        key = SymmetricKey(size: .bits256)
        keyed = HMAC<SHA256>(key: key)
    }

    /// The same value as `Hashing.keyedIPHash(ip, key: key)`.
    public func hash(_ ip: String) -> String {
        if let known = recent.lookup(ip) { return known }
        var mac = keyed
        mac.update(data: Array(ip.utf8))
        let hash = mac.finalize().withUnsafeBytes { Hashing.base64URL($0.prefix(16), padded: false) }
        recent.remember(ip, hash)
        return hash
    }
}

/// A bounded memo of one key's IP hashes (emptied when full: cheaper than tracking recency, and
/// a miss only costs the HMAC again).
final class RecentHashes: Sendable {
    static let capacity = 4096
    let entries = Mutex<[String: String]>([:])

    func lookup(_ ip: String) -> String? {
        entries.withLock { $0[ip] }
    }

    func remember(_ ip: String, _ hash: String) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[ip] = hash
        }
    }
}
