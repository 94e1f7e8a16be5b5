import TrackerCore

/// The `vid` cookie: long-lived, `SameSite=Lax`, `Secure` on HTTPS, on the registrable domain of the
/// tracker's host so every subdomain shares it. Not HttpOnly: the browser tracker reads it.
public struct VisitorCookie: Sendable {
    public var maxAgeSeconds: Int
    public var domain: String?

    public init(maxAgeSeconds: Int, domain: String?) {
        self.maxAgeSeconds = maxAgeSeconds
        self.domain = domain
    }

    public func header(vid: String, requestHost: String, secure: Bool) -> String {
        var value = "vid=\(vid); Path=/; Max-Age=\(maxAgeSeconds); SameSite=Lax"
        if let domain = domain ?? PublicSuffix.shared.registrableDomain(requestHost) {
            value += "; Domain=\(domain)"
        }
        if secure { value += "; Secure" }
        return value
    }
}
