import TrackerCore

/// What the tracking routes need from the configuration, already validated.
public struct HTTPSettings: Sendable {
    public var apiVersion = 1
    public var maximumConnections = 150_000
    public var cors = CORSPolicy(allowedOrigins: ["*"])
    public var trustedProxies: [IPNetwork] = []
    public var redirects = RedirectPolicy(defaultRedirect: "/", allowedHosts: [])
    public var rateLimits = RateLimitPolicy(rules: [])
    public var dailyQuota: DailyQuota?
    public var cookieMaxAgeSeconds = 400 * 24 * 3600
    public var cookieDomain: String?
    public var debug = false
    /// `DNT: 1` and `Sec-GPC: 1` make a hit cookieless.
    public var honorPrivacySignals = true
    public var version = "dev"

    public init() {}
}
