import TrackerCore

/// One entry of `Sites`: a document root served for some hosts, nginx-style.
/// `{"Hosts": ["example.com", "*.example.com"], "Root": "/var/www/example", "SPA": "index.html",
///   "CacheControl": [{"Pattern": "*.html", "Value": "no-cache"}]}`
public struct SiteConfiguration: Sendable, Equatable {
    public var hosts: [String]
    public var root: String
    public var indexFiles = ["index.html"]
    /// Served for missing paths without a file extension (a single-page app).
    public var spaFallback: String?
    public var cacheControl: [(pattern: String, value: String)] = []
    public var immutableFingerprinted = true
    public var precompressed = true
    public var compress = true

    public init(hosts: [String], root: String) {
        self.hosts = hosts
        self.root = root
    }

    public static func == (a: SiteConfiguration, b: SiteConfiguration) -> Bool {
        a.hosts == b.hosts && a.root == b.root && a.indexFiles == b.indexFiles && a.spaFallback == b.spaFallback
            && a.cacheControl.map(\.pattern) == b.cacheControl.map(\.pattern) && a.cacheControl.map(\.value) == b.cacheControl.map(\.value)
            && a.immutableFingerprinted == b.immutableFingerprinted && a.precompressed == b.precompressed && a.compress == b.compress
    }

    static let keys: Set<String> = ["Hosts", "Root", "Index", "SPA", "CacheControl", "ImmutableFingerprinted", "Precompressed", "Compress"]

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> [SiteConfiguration]? {
        r.objectList(value, path, keys: keys) { r, fields, itemPath in
            guard let hostsValue = fields["Hosts"], let hosts = r.stringList(hostsValue, "\(itemPath).Hosts"), !hosts.isEmpty else {
                r.problem("\(itemPath).Hosts", "required: the hosts this site answers")
                return nil
            }
            guard let rootValue = fields["Root"], let root = r.string(rootValue, "\(itemPath).Root") else {
                r.problem("\(itemPath).Root", "required: the document root")
                return nil
            }
            var site = SiteConfiguration(hosts: hosts.map { $0.lowercased() }, root: root)
            if let v = fields["Index"] { site.indexFiles = r.stringList(v, "\(itemPath).Index") ?? site.indexFiles }
            if let v = fields["SPA"] { site.spaFallback = r.string(v, "\(itemPath).SPA") }
            if let v = fields["ImmutableFingerprinted"] { site.immutableFingerprinted = r.bool(v, "\(itemPath).ImmutableFingerprinted") ?? true }
            if let v = fields["Precompressed"] { site.precompressed = r.bool(v, "\(itemPath).Precompressed") ?? true }
            if let v = fields["Compress"] { site.compress = r.bool(v, "\(itemPath).Compress") ?? true }
            if let v = fields["CacheControl"] {
                site.cacheControl = r.objectList(v, "\(itemPath).CacheControl", keys: ["Pattern", "Value"]) { r, rule, rulePath in
                    guard let p = rule["Pattern"].flatMap({ r.string($0, "\(rulePath).Pattern") }),
                          let v = rule["Value"].flatMap({ r.string($0, "\(rulePath).Value") }) else {
                        r.problem(rulePath, "needs Pattern and Value")
                        return nil
                    }
                    return (pattern: p, value: v)
                } ?? []
            }
            return site
        }
    }
}
