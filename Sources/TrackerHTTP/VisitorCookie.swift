import Synchronization
import TrackerCore

/// The `vid` cookie: long-lived, `SameSite=Lax`, `Secure` on HTTPS, on the registrable domain of the
/// tracker's host so every subdomain shares it. Not HttpOnly: the browser tracker reads it.
public final class VisitorCookie: Sendable {
    public let maxAgeSeconds: Int
    public let domain: String?
    /// Registrable domains of the hosts seen: a tracker serves few hosts, and the Public Suffix
    /// lookup is not free.
    let domains = Mutex<[String: String?]>([:])

    /// What follows the id in every cookie, made once (its number was formatted for every new
    /// visitor).
    let attributes: String

    public init(maxAgeSeconds: Int, domain: String?) {
        self.maxAgeSeconds = maxAgeSeconds
        self.domain = domain
        attributes = "; Path=/; Max-Age=\(maxAgeSeconds); SameSite=Lax"
    }

    public func header(vid: String, requestHost: String, secure: Bool) -> String {
        let domain = domain ?? registrableDomain(requestHost)
        // Sized first: appended piece by piece, the text was reallocated three times per new visitor.
        var value = ""
        value.reserveCapacity(24 + vid.utf8.count + attributes.utf8.count + (domain?.utf8.count ?? 0))
        value += "vid="
        value += vid
        value += attributes
        if let domain {
            value += "; Domain="
            value += domain
        }
        if secure { value += "; Secure" }
        return value
    }

    func registrableDomain(_ host: String) -> String? {
        if let known = domains.withLock({ $0[host] }) { return known }
        let computed = PublicSuffix.shared.registrableDomain(host)
        domains.withLock { cache in
            if cache.count >= 1024 { cache.removeAll(keepingCapacity: true) }
            cache[host] = computed
        }
        return computed
    }
}
