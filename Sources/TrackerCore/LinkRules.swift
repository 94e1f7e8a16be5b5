import Foundation

/// What a short link may be: checked wherever one is created (the links API, upstream's
/// `/rpi/v1/redirect`, the command line), so no path leads to an open or looping redirect.
public enum LinkRules {
    /// Paths the server answers itself: a slug must not hide them.
    public static let reservedFirstSegments: Set<String> = [
        "tr", "str", "img", "rdr", "pub", "rpi", "ping", "status", "health", "clear", "t", "tools", ".well-known",
    ]

    /// A slug: lower-cased, 1–200 characters of letters, digits and `-_.~/`, no leading or doubled
    /// `/`, not a reserved route.
    public static func slug(_ raw: String) -> Result<String, LinkProblem> {
        var slug = raw.lowercased()
        while slug.hasPrefix("/") { slug.removeFirst() }
        guard !slug.isEmpty, slug.utf8.count <= 200 else { return .failure(.init("slug must be 1 to 200 characters")) }
        guard slug.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.~/".unicodeScalars.contains($0) }),
              !slug.contains("//"), !slug.hasSuffix("/"), !slug.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else {
            return .failure(.init("slug may hold only letters, digits and - _ . ~ / (got \(raw))"))
        }
        let first = String(slug.split(separator: "/").first ?? "")
        guard !reservedFirstSegments.contains(first) else {
            return .failure(.init("slug must not start with the reserved path /\(first)"))
        }
        return .success(slug)
    }

    /// A target: an absolute http(s) URL with a host, no credentials, no spaces or backslashes, at
    /// most 4 KiB, and not another short link on `shortHosts` (a loop) unless it is a tracked
    /// `/rdr/` URL.
    public static func target(_ raw: String, shortHosts: [String]) -> Result<String, LinkProblem> {
        let target = ASCII.trimmed(raw)
        guard !target.isEmpty, target.utf8.count <= 4096 else { return .failure(.init("target must be 1 to 4096 characters")) }
        guard let schemeEnd = target.range(of: "://"),
              ["http", "https"].contains(target[..<schemeEnd.lowerBound].lowercased()) else {
            return .failure(.init("target must be an absolute http:// or https:// URL"))
        }
        guard !target.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\\" || $0.value == 0x7F }) else {
            return .failure(.init("target must not contain spaces, control characters or backslashes"))
        }
        let authority = target[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return .failure(.init("target must not carry credentials (user:password@)")) }
        guard let host = URLCleaner.host(of: target) else { return .failure(.init("target has no host")) }
        if shortHosts.contains(host), !isTrackedRedirect(target) {
            return .failure(.init("target points at a short-link host (\(host)): that would loop"))
        }
        return .success(target)
    }

    /// `https://host/rdr/v1/?url=...` or upstream's later `/tr/v1/rdr/...`.
    public static func isTrackedRedirect(_ url: String) -> Bool {
        guard let path = path(of: url) else { return false }
        return path.hasPrefix("/rdr/") || path.hasPrefix("/tr/v1/rdr/") || path == "/rdr" || path == "/tr/v1/rdr"
    }

    public static func path(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), rest[slash] == "/" else { return "/" }
        return String(rest[slash...].prefix { $0 != "?" && $0 != "#" })
    }

    /// The query of a URL, without its fragment.
    public static func query(of url: String) -> String? {
        guard let mark = url.firstIndex(of: "?") else { return nil }
        return String(url[url.index(after: mark)...].prefix { $0 != "#" })
    }
}

public struct LinkProblem: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
