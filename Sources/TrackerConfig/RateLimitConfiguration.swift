import TrackerCore

/// One entry of `RateLimits`: `{"Name": "api", "Paths": ["/tr/", "/str/"], "Limit": 100,
/// "Period": "1m", "Key": "ip"}`. `Key` is `"ip"` (the client address) or `"header:NAME"`.
public struct RateLimitConfiguration: Sendable, Equatable {
    public var name: String
    public var paths: [String]
    public var limit: Int
    public var periodSeconds: Double
    /// nil for the client address, else the header to count by.
    public var header: String?

    public init(name: String, paths: [String], limit: Int, periodSeconds: Double, header: String?) {
        self.name = name
        self.paths = paths
        self.limit = limit
        self.periodSeconds = periodSeconds
        self.header = header
    }

    static let keys: Set<String> = ["Name", "Paths", "Limit", "Period", "Key"]

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> [RateLimitConfiguration]? {
        r.objectList(value, path, keys: keys) { r, fields, itemPath in
            var limit = RateLimitConfiguration(name: "limit", paths: [], limit: 0, periodSeconds: 0, header: nil)
            if let v = fields["Name"] { limit.name = r.string(v, "\(itemPath).Name") ?? limit.name }
            if let v = fields["Paths"] { limit.paths = r.stringList(v, "\(itemPath).Paths") ?? [] }
            if let v = fields["Limit"] { limit.limit = r.int(v, "\(itemPath).Limit", min: 1) ?? 0 } else {
                r.problem("\(itemPath).Limit", "required")
            }
            if let v = fields["Period"] {
                if let seconds = r.duration(v, "\(itemPath).Period") {
                    if seconds > 0 { limit.periodSeconds = seconds } else { r.problem("\(itemPath).Period", "must be positive") }
                }
            } else {
                r.problem("\(itemPath).Period", "required")
            }
            if let v = fields["Key"], let key = r.string(v, "\(itemPath).Key") {
                if key.hasPrefix("header:"), key.count > 7 {
                    limit.header = String(key.dropFirst(7))
                } else if key != "ip" {
                    r.problem("\(itemPath).Key", "expected \"ip\" or \"header:NAME\"")
                }
            }
            return limit
        }
    }
}
