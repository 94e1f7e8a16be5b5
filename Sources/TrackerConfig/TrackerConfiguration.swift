import Foundation
import TrackerCore

/// The whole configuration, typed, with every default. `docs/configuration.md` documents each key.
public struct TrackerConfiguration: Sendable {
    public var listenHost = "0.0.0.0"
    public var listenPort = 8080
    public var dataDirectory = "./data"
    /// `sqlite` (the embedded default) or `postgres`.
    public var storageBackend = "sqlite"
    public var postgresURL: String?
    /// The schema holding tracker's tables (created if missing); nil: the server's default (`public`).
    public var postgresSchema: String?
    /// `http://user:password@host:8123/database` when `storageBackend` is `clickhouse`.
    public var clickHouseURL: String?
    /// Events per ClickHouse insert at most, and the pause after a smaller one.
    public var clickHouseBatchSize = 10_000
    /// Clustered ClickHouse: the cluster's name and its shards' HTTP addresses (for the schema).
    public var clickHouseCluster: String?
    public var clickHouseShardURLs: [String] = []
    public var clickHouseFlushSeconds = 1.0
    /// Disk for events waiting to reach a remote store.
    public var spoolBytes = 1 << 30
    public var durability = "full"
    /// The embedded store's disk quota; nil means the disk is the limit.
    public var maxDatabaseBytes: Int?
    /// SQLite's page cache on the writing connection (`DatabaseCacheSize`); nil: the store's default.
    public var databaseCacheBytes: Int?
    /// How long the first waiting event may wait for others to share its commit (0: the writer
    /// commits whenever it gets to run; see `storageNice`).
    public var commitDelaySeconds = 0.0
    /// How far below the event loops the commit thread runs (nice steps, 0–19).
    public var storageNice = 19
    /// Plain HTTP/1 listeners served by direct lanes (epoll threads below NIO) for the requests
    /// answered from memory; false: by NIO alone.
    public var directHTTP = true
    public var maxBodyBytes = 64 * 1024
    public var maxFields = 200
    public var maxValueLength = 8192
    public var maxBatchEvents = 100
    public var ingestQueueCapacity = 100_000
    public var trustedProxies: [IPNetwork] = []
    public var rateLimits: [RateLimitConfiguration] = []
    public var sites: [SiteConfiguration] = []
    /// Reverse-proxy routes, `ProxyUrl`'s last when it is set.
    public var routes: [ProxyRouteConfiguration] = []
    public var proxyURL: UpstreamAddress?
    public var proxyURLFilter: NSRegularExpression?
    public var proxyForceJSON = false
    public var ignoreProxyOptions = false
    /// Tracked events per client and UTC day past which the proxy routes answer 429.
    public var proxyDailyLimit: Int?
    /// Memory for small hot files of `/pub/` and the sites.
    public var fileCacheBytes = 64 << 20
    public var accessLog: AccessLogConfiguration?
    public var redirectAllowList: [String] = []
    public var storeRawIP = false
    /// The secret of the IP hash; when absent one is generated and kept in the data directory.
    /// Nodes sharing a store must share it (and `PrefixPrivateHash`) for their hashes to agree.
    public var ipHashSecret: String?
    public var cookieDomain: String?
    public var cookieMaxAgeSeconds = 400.0 * 86400
    public var sessionTimeoutSeconds = 30.0 * 60
    public var logLevel = "info"
    /// `text` (human-readable) or `json` (one object per line).
    public var logFormat = "text"
    public var domains: [String] = []
    public var apiVersion = 1
    public var staticDirectory = "public"
    public var allowOrigin = ["*"]
    public var defaultRedirect = "/"
    public var debug = false
    public var maximumConnections = 150_000
    public var ignoreQueryParamsKey: String? = "igqp"
    public var urlFilter: NSRegularExpression?
    public var urlFilterMatchGroup = 0
    public var prefixPrivateHash: String?
    public var accountHashMixer: String?
    public var idleTimeoutSeconds = 20.0
    /// A request's head must arrive within this time of its first byte (slowloris).
    public var requestHeaderTimeoutSeconds = 10.0
    /// The request line and headers together; more gets 400 and the connection closed.
    public var maxHeaderBytes = 80 * 1024
    /// Hosts whose unknown paths are short links; empty: any host no site serves (upstream).
    public var shortLinkHosts: [String] = []
    /// How long a node trusts its cached copy of a link another node may have changed.
    public var shortLinkCacheSeconds = 30.0
    /// Do-Not-Track and Global Privacy Control make a hit cookieless (no vid cookie, daily hash).
    public var honorPrivacySignals = true
    /// Client hits without a non-zero `CookieConsent` are counted cookielessly.
    public var requireConsent = false
    /// The event bus; nil runs without NATS.
    public var nats: NATSConfiguration?
    /// The HTTPS listener; nil serves plain HTTP only.
    public var tls: HTTPSConfiguration?
    /// Upstream's TLS keys, turned into `tls` once all are read.
    var legacyTLS = LegacyTLS()
    /// Upstream keys present in the file that this version accepts but does not act on yet.
    public var unusedLegacyKeys: [String] = []

    public init() {}

    public var listen: String { "\(listenHost):\(listenPort)" }
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("tracker.sqlite") }
}

extension TrackerConfiguration {
    /// Loads a file (or nothing, for zero configuration) and the environment. Throws every problem.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> TrackerConfiguration {
        var document: [String: JSONValue] = [:]
        var problems: [ConfigProblem] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigError(problems: [ConfigProblem(path: file, message: "cannot read the file")])
            }
            switch Result(catching: { () throws(JSONParser.Failure) in try JSONParser.parse(Array(data)) }) {
            case .success(.object(let fields)): document = fields
            case .success: problems.append(ConfigProblem(path: "$", message: "the document must be a JSON object"))
            case .failure(let failure): problems.append(ConfigProblem(path: "$", message: "not valid JSON: \(failure)"))
            }
        }
        return try decode(document, environment: environment, earlier: problems)
    }

    static func decode(_ document: [String: JSONValue], environment: [String: String], earlier: [ConfigProblem] = [])
        throws(ConfigError) -> TrackerConfiguration {
        var reader = ConfigValues(problems: earlier)
        var config = TrackerConfiguration()
        var entries: [(key: ConfigKey, value: JSONValue, path: String)] = []
        for name in document.keys.sorted() {
            guard let key = ConfigKeys.byName[name] else {
                let hint = ConfigKeys.all.first { $0.name.lowercased() == name.lowercased() }.map { " (did you mean \($0.name)?)" } ?? ""
                reader.problem("$.\(name)", "unknown key\(hint)")
                continue
            }
            entries.append((key, document[name]!, "$.\(name)"))
        }
        for key in ConfigKeys.all where key.kind != .later {
            guard let text = environment[key.environmentName] else { continue }
            entries.removeAll { $0.key.name == key.name }
            entries.append((key, environmentValue(text, kind: key.kind), key.environmentName))
        }
        for entry in entries {
            config.apply(entry.key, entry.value, entry.path, &reader)
        }
        config.validate(&reader)
        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return config
    }

    /// Environment values are text; lists are comma-separated.
    static func environmentValue(_ text: String, kind: ConfigKind) -> JSONValue {
        switch kind {
        case .int: return Double(text).map(JSONValue.number) ?? .string(text)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off": return .bool(false)
            default: return .string(text)
            }
        case .stringList:
            return .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        case .rateLimits, .sites, .accessLog, .routes, .tls, .nats:
            return (try? JSONParser.parse(text)) ?? .string(text)
        default: return .string(text)
        }
    }
}
