import Foundation
import TrackerCore

/// `/rdr/` sends the visitor on only to hosts the operator named (its `Domains` and
/// `RedirectAllowList`, where `*.example.com` covers subdomains) or to a relative path; anything
/// else goes to `DefaultRedirect`. Upstream redirected anywhere (an open redirect, §18.10).
public struct RedirectPolicy: Sendable, Equatable {
    public var defaultRedirect: String
    public var allowedHosts: [String]

    public init(defaultRedirect: String, allowedHosts: [String]) {
        self.defaultRedirect = defaultRedirect
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    public func target(for requested: String?) -> String {
        // A control character (a decoded CR or LF) would split the answer's head: such a target
        // is no URL to send anyone to.
        guard let requested, !requested.isEmpty, requested.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            return defaultRedirect
        }
        if requested.hasPrefix("/"), !requested.hasPrefix("//"), !requested.hasPrefix("/\\") { return requested }
        guard let schemeEnd = requested.range(of: "://") else { return defaultRedirect }
        let scheme = requested[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https", let host = URLCleaner.host(of: requested),
              !requested.contains("\\"), allows(host) else { return defaultRedirect }
        return requested
    }

    public func allows(_ host: String) -> Bool {
        allowedHosts.contains { pattern in
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)
                return host.hasSuffix(suffix) || host == pattern.dropFirst(2)
            }
            return host == pattern
        }
    }
}
