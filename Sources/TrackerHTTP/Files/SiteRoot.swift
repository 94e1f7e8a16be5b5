/// A document root and the hosts it is served for (`example.com`, `*.example.com`, or `*`).
public struct SiteRoot: Sendable {
    public let hosts: [String]
    public let root: String
    public let options: FileServingOptions

    public init(hosts: [String], root: String, options: FileServingOptions) {
        self.hosts = hosts.map { $0.lowercased() }
        self.root = root
        self.options = options
    }

    public func matches(_ host: String) -> Bool {
        hosts.contains { pattern in
            if pattern == "*" { return true }
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) }
            return host == pattern
        }
    }
}
