/// Every key the configuration document may hold: its kind, and where it came from. Upstream's keys
/// keep their names so an existing `config.json` still loads (docs/configuration.md maps each).
enum ConfigKind: Sendable {
    case string, int, bool, stringList, size, duration, regex
    /// A list of `RateLimitConfiguration` objects.
    case rateLimits
    /// A list of `SiteConfiguration` objects.
    case sites
    /// An `AccessLogConfiguration` object.
    case accessLog
    /// A list of `ProxyRouteConfiguration` objects.
    case routes
    /// An `HTTPSConfiguration` object.
    case tls
    /// A `NATSConfiguration` object.
    case nats
    /// Upstream keys for features of later versions: accepted (any JSON) and reported as unused.
    case later
}

struct ConfigKey: Sendable {
    let name: String
    let kind: ConfigKind

    /// `MaximumConnections` → `TRACKER_MAXIMUM_CONNECTIONS`.
    var environmentName: String {
        var out = "TRACKER_"
        var previousLower = false
        for ch in name {
            if ch.isUppercase, previousLower { out += "_" }
            out += ch.uppercased()
            previousLower = ch.isLowercase || ch.isNumber
        }
        return out
    }
}

enum ConfigKeys {
    static let all: [ConfigKey] = [
        // tracker's own
        ConfigKey(name: "Listen", kind: .string),
        ConfigKey(name: "DataDirectory", kind: .string),
        ConfigKey(name: "StorageBackend", kind: .string),
        ConfigKey(name: "PostgresURL", kind: .string),
        ConfigKey(name: "PostgresSchema", kind: .string),
        ConfigKey(name: "ClickHouseURL", kind: .string),
        ConfigKey(name: "ClickHouseBatchSize", kind: .int),
        ConfigKey(name: "ClickHouseCluster", kind: .string),
        ConfigKey(name: "ClickHouseShardURLs", kind: .stringList),
        ConfigKey(name: "ClickHouseFlushInterval", kind: .duration),
        ConfigKey(name: "SpoolSize", kind: .size),
        ConfigKey(name: "Durability", kind: .string),
        ConfigKey(name: "MaxDatabaseSize", kind: .size),
        ConfigKey(name: "DatabaseCacheSize", kind: .size),
        ConfigKey(name: "CommitDelay", kind: .duration),
        ConfigKey(name: "StorageNice", kind: .int),
        ConfigKey(name: "DirectHTTP", kind: .bool),
        ConfigKey(name: "MaxBodySize", kind: .size),
        ConfigKey(name: "MaxFields", kind: .int),
        ConfigKey(name: "MaxValueLength", kind: .int),
        ConfigKey(name: "MaxBatchEvents", kind: .int),
        ConfigKey(name: "IngestQueueCapacity", kind: .int),
        ConfigKey(name: "TrustedProxies", kind: .stringList),
        ConfigKey(name: "RateLimits", kind: .rateLimits),
        ConfigKey(name: "Sites", kind: .sites),
        ConfigKey(name: "Routes", kind: .routes),
        ConfigKey(name: "FileCacheSize", kind: .size),
        ConfigKey(name: "AccessLog", kind: .accessLog),
        ConfigKey(name: "RedirectAllowList", kind: .stringList),
        ConfigKey(name: "StoreRawIP", kind: .bool),
        ConfigKey(name: "IPHashSecret", kind: .string),
        ConfigKey(name: "CookieDomain", kind: .string),
        ConfigKey(name: "CookieMaxAge", kind: .duration),
        ConfigKey(name: "SessionTimeout", kind: .duration),
        ConfigKey(name: "LogLevel", kind: .string),
        ConfigKey(name: "LogFormat", kind: .string),
        ConfigKey(name: "TLS", kind: .tls),
        ConfigKey(name: "NATS", kind: .nats),
        ConfigKey(name: "ShortLinkHosts", kind: .stringList),
        ConfigKey(name: "ShortLinkCacheTTL", kind: .duration),
        ConfigKey(name: "HonorPrivacySignals", kind: .bool),
        ConfigKey(name: "RequireConsent", kind: .bool),
        // upstream's, in use
        ConfigKey(name: "Domains", kind: .stringList),
        ConfigKey(name: "ApiVersion", kind: .int),
        ConfigKey(name: "StaticDirectory", kind: .string),
        ConfigKey(name: "AllowOrigin", kind: .stringList),
        ConfigKey(name: "DefaultRedirect", kind: .string),
        ConfigKey(name: "Debug", kind: .bool),
        ConfigKey(name: "MaximumConnections", kind: .int),
        ConfigKey(name: "IgnoreQueryParamsKey", kind: .string),
        ConfigKey(name: "UrlFilter", kind: .regex),
        ConfigKey(name: "UrlFilterMatchGroup", kind: .int),
        ConfigKey(name: "PrefixPrivateHash", kind: .string),
        ConfigKey(name: "AccountHashMixer", kind: .string),
        ConfigKey(name: "IdleTimeoutSeconds", kind: .int),
        ConfigKey(name: "ReadTimeoutSeconds", kind: .int),
        ConfigKey(name: "ReadHeaderTimeoutSeconds", kind: .int),
        ConfigKey(name: "WriteTimeoutSeconds", kind: .int),
        ConfigKey(name: "MaxHeaderBytes", kind: .int),
        ConfigKey(name: "RequestHeaderTimeout", kind: .duration),
        ConfigKey(name: "ProxyPort", kind: .string),
        ConfigKey(name: "ProxyUrl", kind: .string),
        ConfigKey(name: "ProxyUrlFilter", kind: .regex),
        ConfigKey(name: "ProxyForceJson", kind: .bool),
        ConfigKey(name: "IgnoreProxyOptions", kind: .bool),
        ConfigKey(name: "ProxyDailyLimit", kind: .int),
        ConfigKey(name: "UseLocalTLS", kind: .bool),
        ConfigKey(name: "TLSCert", kind: .string),
        ConfigKey(name: "TLSKey", kind: .string),
        ConfigKey(name: "ProxyPortTLS", kind: .string),
        ConfigKey(name: "ProxyPortRedirect", kind: .string),
    ] + [
        "SchemaVersion", "TempDirectory", "UseGeoIP", "UseRegionDescriptions", "GeoIPVersion", "IPv4GeoIPZip",
        "IPv6GeoIPZip", "IPv4GeoIPCSVDest", "IPv6GeoIPCSVDest", "IgnoreInsecureTLS", "ProxyDailyLimitChecker",
        "Notify", "Consume",
    ].map { ConfigKey(name: $0, kind: .later) }

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
