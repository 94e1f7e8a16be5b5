import Foundation

/// `Cache-Control` by path: the first rule whose glob matches wins; fingerprinted assets
/// (`app.3f2a9c1b.js`, `logo-5d41402abc4b.png`) are immutable for a year; HTML and everything else
/// revalidate, so a deploy is seen at once.
public struct CacheControlRules: Sendable {
    public struct Rule: Sendable, Equatable {
        public let pattern: String
        public let value: String
        public init(pattern: String, value: String) {
            self.pattern = pattern
            self.value = value
        }
    }

    public let rules: [Rule]
    public let immutableFingerprinted: Bool

    public init(rules: [Rule] = [], immutableFingerprinted: Bool = true) {
        self.rules = rules
        self.immutableFingerprinted = immutableFingerprinted
    }

    static let fingerprint = try! NSRegularExpression(pattern: #"[.-][0-9a-fA-F]{8,}\.[A-Za-z0-9]+$"#)
    public static let immutable = "public, max-age=31536000, immutable"
    public static let revalidate = "no-cache"

    public func value(for path: String) -> String {
        if let rule = rules.first(where: { Self.glob($0.pattern, matches: path) }) { return rule.value }
        if immutableFingerprinted,
           Self.fingerprint.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil {
            return Self.immutable
        }
        return Self.revalidate
    }

    /// `*` matches within a path segment, `**` across segments; a pattern without `/` matches the
    /// file name alone (`*.css`).
    public static func glob(_ pattern: String, matches path: String) -> Bool {
        let target = pattern.contains("/") ? path : String(path.split(separator: "/").last ?? "")
        var regex = "^"
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*":
                if chars.first == "*" { chars.removeFirst(); regex += ".*" } else { regex += "[^/]*" }
            case "?": regex += "[^/]"
            default: regex += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        regex += "$"
        return target.range(of: regex, options: .regularExpression) != nil
    }
}
