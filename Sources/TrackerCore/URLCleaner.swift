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
        return Self.withoutSchemeAndQuery(value)
    }

    /// `stripQuery(protocolRelative(value))` in one pass and one allocation for the usual URL
    /// (http or https, ASCII host); anything else takes the two steps.
    static func withoutSchemeAndQuery(_ value: String) -> String {
        guard let schemeEnd = schemeSeparator(value) else { return stripQuery(value) }
        let rest = value.utf8[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let end = rest[hostEnd...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        guard isWebScheme(value[..<schemeEnd.lowerBound]), rest[..<hostEnd].allSatisfy({ $0 < 0x80 })
        else { return stripQuery(protocolRelative(value)) }
        let count = 2 + rest.distance(from: rest.startIndex, to: end)
        return String(unsafeUninitializedCapacity: count) { out in
            out[0] = UInt8(ascii: "/")
            out[1] = UInt8(ascii: "/")
            var position = 2
            var index = rest.startIndex
            while index != end {
                let byte = rest[index]
                out[position] = index < hostEnd && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                position += 1
                index = rest.index(after: index)
            }
            return position
        }
    }

    /// `https://Example.COM/A` → `//example.com/A`. Searched on the bytes: Foundation's
    /// `range(of:)` and Character-wise scans were a twentieth of a JSON event's cost.
    public static func protocolRelative(_ value: String) -> String {
        guard let schemeEnd = schemeSeparator(value) else { return value }
        guard isWebScheme(value[..<schemeEnd.lowerBound]) else { return value }
        let rest = value[schemeEnd.upperBound...]
        let hostEnd = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        return "//" + lowercasedHost(rest[..<hostEnd]) + rest[hostEnd...]
    }

    public static func stripQuery(_ value: String) -> String {
        guard let cut = value.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else { return value }
        return String(value[..<cut])
    }

    /// `http` or `https`, in any case.
    static func isWebScheme(_ scheme: Substring) -> Bool {
        let scheme = String(scheme)
        return ASCII.equalsIgnoringCase(scheme, lowercase: "http") || ASCII.equalsIgnoringCase(scheme, lowercase: "https")
    }

    /// Where the first `://` is.
    static func schemeSeparator(_ value: String) -> Range<String.Index>? {
        let bytes = value.utf8
        var index = bytes.startIndex
        while let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":")) {
            let first = bytes.index(after: colon)
            guard first != bytes.endIndex else { return nil }
            let second = bytes.index(after: first)
            if bytes[first] == UInt8(ascii: "/"), second != bytes.endIndex, bytes[second] == UInt8(ascii: "/") {
                return colon..<bytes.index(after: second)
            }
            index = first
        }
        return nil
    }

    /// ASCII hosts without Unicode case mapping; others (IDNs not in punycode) with it.
    static func lowercasedHost(_ host: Substring) -> String {
        host.utf8.allSatisfy { $0 < 0x80 } ? ASCII.lowercased(String(host)) : host.lowercased()
    }

    /// The host of an absolute or protocol-relative URL, lower-cased, without port.
    public static func host(of value: String) -> String? {
        let body: Substring
        if let schemeEnd = schemeSeparator(value) {
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
