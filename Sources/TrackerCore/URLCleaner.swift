import Foundation

/// Upstream's URL normalisation (spec §4.2) for `url` and `last`: scheme dropped to a
/// protocol-relative URL, query and fragment removed, optionally only one group of a configured
/// regex kept. Unlike upstream, only the scheme and host are lower-cased: paths and ids are
/// case-sensitive (§18.13).
public struct URLCleaner: Sendable {
    public let filter: NSRegularExpression?
    public let matchGroup: Int

    public init(filter: NSRegularExpression? = nil, matchGroup: Int = 0) {
        self.filter = filter
        self.matchGroup = matchGroup
    }

    public func clean(_ raw: String) -> String {
        let value = ASCII.trimmed(raw)
        if let filter, let kept = Self.match(filter, group: matchGroup, in: value) {
            return kept
        }
        return Self.stripQuery(Self.protocolRelative(value))
    }

    /// `https://Example.COM/A` → `//example.com/A`.
    public static func protocolRelative(_ value: String) -> String {
        guard let schemeEnd = value.range(of: "://") else { return value }
        let scheme = value[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return value }
        let rest = value[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return "//" + rest[..<hostEnd].lowercased() + rest[hostEnd...]
    }

    public static func stripQuery(_ value: String) -> String {
        guard let cut = value.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return value }
        return String(value[..<cut])
    }

    /// The host of an absolute or protocol-relative URL, lower-cased, without port.
    public static func host(of value: String) -> String? {
        let body: Substring
        if let schemeEnd = value.range(of: "://") {
            body = value[schemeEnd.upperBound...]
        } else if value.hasPrefix("//") {
            body = value.dropFirst(2)
        } else {
            return nil
        }
        let authority = body.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last ?? authority
        let host: Substring
        if hostPort.hasPrefix("[") {
            host = hostPort.prefix { $0 != "]" }.dropFirst()
        } else {
            host = hostPort.prefix { $0 != ":" }
        }
        return host.isEmpty ? nil : host.lowercased()
    }

    /// Group 0 means the last group, as upstream's `UrlFilterMatchGroup`.
    static func match(_ regex: NSRegularExpression, group: Int, in value: String) -> String? {
        let range = NSRange(value.startIndex..., in: value)
        guard let m = regex.firstMatch(in: value, range: range) else { return nil }
        let index = group == 0 ? m.numberOfRanges - 1 : group
        guard index < m.numberOfRanges, let r = Range(m.range(at: index), in: value) else { return nil }
        return String(value[r])
    }
}
