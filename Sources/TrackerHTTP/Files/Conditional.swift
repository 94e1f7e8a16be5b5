import Foundation
import NIOHTTP1

/// Conditional requests (RFC 9110 §13): `If-None-Match` wins over `If-Modified-Since`; `If-Range`
/// decides whether a `Range` applies.
enum Conditional {
    static func notModified(_ headers: HTTPHeaders, etag: String, modified: Date) -> Bool {
        if let match = headers.first(name: "if-none-match") {
            return match.trimmingCharacters(in: .whitespaces) == "*" || tags(match).contains(weak(etag))
        }
        if let since = headers.first(name: "if-modified-since").flatMap(HTTPDate.parse) {
            return floor(modified.timeIntervalSince1970) <= since.timeIntervalSince1970
        }
        return false
    }

    static func rangeApplies(_ headers: HTTPHeaders, etag: String, modified: Date) -> Bool {
        guard let condition = headers.first(name: "if-range")?.trimmingCharacters(in: .whitespaces) else { return true }
        if condition.hasPrefix("\"") { return condition == etag }
        guard let date = HTTPDate.parse(condition) else { return false }
        return floor(modified.timeIntervalSince1970) <= date.timeIntervalSince1970
    }

    /// Entity tags of a list, compared weakly (a `W/` prefix ignored).
    static func tags(_ list: String) -> Set<String> {
        Set(list.split(separator: ",").map { weak($0.trimmingCharacters(in: .whitespaces)) })
    }

    static func weak(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }
}
