import NIOHTTP1

/// Which requests a limit applies to and what it counts them by.
public struct RateLimitRule: Sendable {
    public enum Key: Sendable, Equatable {
        /// The client address (from trusted proxies only).
        case clientAddress
        /// A request header such as an API key; requests without it count by address.
        case header(String)
    }

    public let limiter: RateLimiter
    /// Path prefixes the limit applies to; empty means every path.
    public let pathPrefixes: [String]
    public let key: Key

    public init(limiter: RateLimiter, pathPrefixes: [String], key: Key) {
        self.limiter = limiter
        self.pathPrefixes = pathPrefixes
        self.key = key
    }

    func applies(to path: String) -> Bool {
        pathPrefixes.isEmpty || pathPrefixes.contains { path.hasPrefix($0) }
    }
}

/// The limits of the server, checked in order; the first refusal wins. The answer carries the
/// `RateLimit-*` headers of the tightest limit that applied.
public struct RateLimitPolicy: Sendable {
    public let rules: [RateLimitRule]

    public init(rules: [RateLimitRule]) {
        self.rules = rules
    }

    public struct Verdict: Sendable {
        public let allowed: Bool
        public let headers: HTTPHeaders
    }

    /// nil when no limit applies to this path.
    public func check(path: String, clientAddress: String?, headers: HTTPHeaders, now: Double) -> Verdict? {
        var tightest: (RateLimitRule, GCRA.Decision)?
        for rule in rules where rule.applies(to: path) {
            let key: String
            switch rule.key {
            case .clientAddress: key = "ip:" + (clientAddress ?? "")
            case .header(let name): key = headers.first(name: name).map { "h:" + $0 } ?? "ip:" + (clientAddress ?? "")
            }
            let decision = rule.limiter.check(key, now: now)
            if !decision.allowed { return Verdict(allowed: false, headers: Self.headers(rule.limiter, decision)) }
            if tightest == nil || decision.remaining < tightest!.1.remaining { tightest = (rule, decision) }
        }
        return tightest.map { Verdict(allowed: true, headers: Self.headers($0.0.limiter, $0.1)) }
    }

    /// The IETF `RateLimit` header fields (the widely deployed three, and the policy), plus
    /// `Retry-After` on refusal.
    static func headers(_ limiter: RateLimiter, _ decision: GCRA.Decision) -> HTTPHeaders {
        var headers: HTTPHeaders = [
            "RateLimit-Limit": String(limiter.gcra.limit),
            "RateLimit-Remaining": String(decision.remaining),
            "RateLimit-Reset": String(Int(decision.resetAfter.rounded(.up))),
            "RateLimit-Policy": "\(limiter.gcra.limit);w=\(Int(limiter.gcra.period.rounded(.up)));name=\"\(limiter.name)\"",
        ]
        if !decision.allowed { headers.add(name: "Retry-After", value: String(max(1, Int(decision.retryAfter.rounded(.up))))) }
        return headers
    }
}
