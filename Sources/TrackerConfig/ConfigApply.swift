import Foundation
import TrackerCore

extension TrackerConfiguration {
    /// Puts one validated key into the struct. Each key appears here exactly once.
    mutating func apply(_ key: ConfigKey, _ value: JSONValue, _ path: String, _ r: inout ConfigValues) {
        switch key.name {
        case "Listen":
            if let text = r.string(value, path) {
                if let (host, port) = Self.hostPort(text) { listenHost = host; listenPort = port }
                else { r.problem(path, "expected HOST:PORT such as \"0.0.0.0:8080\"") }
            }
        case "ProxyPort":
            if let text = r.string(value, path), !text.isEmpty {
                if let (host, port) = Self.hostPort(text.hasPrefix(":") ? "0.0.0.0" + text : text) {
                    listenHost = host; listenPort = port
                } else { r.problem(path, "expected \":PORT\" or HOST:PORT") }
            }
        case "StorageBackend":
            if let v = r.string(value, path) {
                if ["sqlite", "postgres", "clickhouse"].contains(v) { storageBackend = v } else {
                    r.problem(path, "expected \"sqlite\", \"postgres\" or \"clickhouse\"")
                }
            }
        case "PostgresURL":
            if let v = r.string(value, path) {
                if v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") { postgresURL = v } else {
                    r.problem(path, "expected postgres://user:password@host:port/database")
                }
            }
        case "PostgresSchema":
            if let v = r.string(value, path) {
                if let first = v.unicodeScalars.first, first.properties.isLowercase || first == "_", v.count <= 63,
                   v.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isLowercase || ("0"..."9").contains($0))) || $0 == "_" }) {
                    postgresSchema = v
                } else {
                    r.problem(path, "expected a schema name of lowercase letters, digits and _ (at most 63, not starting with a digit)")
                }
            }
        case "ClickHouseURL":
            if let v = r.string(value, path) {
                if v.hasPrefix("http://") || v.hasPrefix("https://") { clickHouseURL = v } else {
                    r.problem(path, "expected http://user:password@host:8123/database")
                }
            }
        case "ClickHouseCluster":
            if let v = r.string(value, path) {
                if !v.isEmpty, v.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { clickHouseCluster = v }
                else { r.problem(path, "expected a cluster name of the servers' remote_servers (letters, digits, _)") }
            }
        case "ClickHouseShardURLs": if let v = r.stringList(value, path) { clickHouseShardURLs = v }
        case "ClickHouseBatchSize": if let v = r.int(value, path, min: 1) { clickHouseBatchSize = v }
        case "ClickHouseFlushInterval": if let v = r.duration(value, path) { clickHouseFlushSeconds = min(v, 60) }
        case "SpoolSize": if let v = r.size(value, path) { spoolBytes = v }
        case "DataDirectory": if let v = r.string(value, path) { dataDirectory = v }
        case "Durability":
            if let v = r.string(value, path) {
                if ["full", "normal"].contains(v) { durability = v } else { r.problem(path, "expected \"full\" or \"normal\"") }
            }
        case "CommitDelay": if let v = r.duration(value, path) { commitDelaySeconds = min(v, 1) }
        case "StorageNice": if let v = r.int(value, path, min: 0) { storageNice = min(v, 19) }
        case "DirectHTTP": if let v = r.bool(value, path) { directHTTP = v }
        case "MaxDatabaseSize": if let v = r.size(value, path) { maxDatabaseBytes = v }
        case "DatabaseCacheSize": if let v = r.size(value, path) { databaseCacheBytes = v }
        case "MaxBodySize": if let v = r.size(value, path) { maxBodyBytes = v }
        case "MaxFields": if let v = r.int(value, path, min: 1) { maxFields = v }
        case "MaxValueLength": if let v = r.int(value, path, min: 1) { maxValueLength = v }
        case "MaxBatchEvents": if let v = r.int(value, path, min: 1) { maxBatchEvents = v }
        case "IngestQueueCapacity": if let v = r.int(value, path, min: 1) { ingestQueueCapacity = v }
        case "TrustedProxies":
            if let list = r.stringList(value, path) {
                trustedProxies = []
                for (i, text) in list.enumerated() {
                    if let network = IPNetwork(text) { trustedProxies.append(network) }
                    else { r.problem("\(path)[\(i)]", "not an IP address or CIDR network: \(text)") }
                }
            }
        case "RateLimits": if let v = RateLimitConfiguration.read(value, path, &r) { rateLimits = v }
        case "Sites": if let v = SiteConfiguration.read(value, path, &r) { sites = v }
        case "Routes": if let v = ProxyRouteConfiguration.read(value, path, &r) { routes = v }
        case "ProxyUrl":
            if let text = r.string(value, path), !text.isEmpty {
                if let address = UpstreamAddress(text) { proxyURL = address }
                else { r.problem(path, "expected http://HOST:PORT or https://HOST:PORT") }
            }
        case "ProxyUrlFilter":
            if case .string(let s) = value, s.isEmpty { proxyURLFilter = nil } else { proxyURLFilter = r.regex(value, path) }
        case "ProxyForceJson": if let v = r.bool(value, path) { proxyForceJSON = v }
        case "IgnoreProxyOptions": if let v = r.bool(value, path) { ignoreProxyOptions = v }
        case "ProxyDailyLimit": if let v = r.int(value, path) { proxyDailyLimit = v > 0 ? v : nil }
        case "TLS": tls = HTTPSConfiguration.read(value, path, &r)
        case "NATS": nats = NATSConfiguration.read(value, path, &r)
        case "UseLocalTLS": legacyTLS.useLocal = r.bool(value, path)
        case "TLSCert": legacyTLS.certificate = r.string(value, path)
        case "TLSKey": legacyTLS.key = r.string(value, path)
        case "ProxyPortTLS": legacyTLS.port = r.string(value, path)
        case "ProxyPortRedirect": legacyTLS.redirectPort = r.string(value, path)
        case "ShortLinkHosts": if let v = r.stringList(value, path) { shortLinkHosts = v.map { $0.lowercased() } }
        case "ShortLinkCacheTTL": if let v = r.duration(value, path) { shortLinkCacheSeconds = v }
        case "HonorPrivacySignals": if let v = r.bool(value, path) { honorPrivacySignals = v }
        case "RequireConsent": if let v = r.bool(value, path) { requireConsent = v }
        case "AccessLog": accessLog = AccessLogConfiguration.read(value, path, &r)
        case "FileCacheSize": if let v = r.size(value, path) { fileCacheBytes = v }
        case "RedirectAllowList": if let v = r.stringList(value, path) { redirectAllowList = v }
        case "StoreRawIP": if let v = r.bool(value, path) { storeRawIP = v }
        case "IPHashSecret":
            if let v = r.string(value, path) {
                if v.utf8.count >= 16 { ipHashSecret = v } else { r.problem(path, "at least 16 characters") }
            }
        case "CookieDomain": if let v = r.string(value, path) { cookieDomain = v.isEmpty ? nil : v }
        case "CookieMaxAge": if let v = r.duration(value, path) { cookieMaxAgeSeconds = v }
        case "SessionTimeout": if let v = r.duration(value, path) { sessionTimeoutSeconds = v }
        case "LogLevel":
            if let v = r.string(value, path) {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                if levels.contains(v) { logLevel = v } else { r.problem(path, "expected one of \(levels.joined(separator: ", "))") }
            }
        case "LogFormat":
            if let v = r.string(value, path) {
                if ["text", "json"].contains(v) { logFormat = v } else { r.problem(path, "expected \"text\" or \"json\"") }
            }
        case "Domains": if let v = r.stringList(value, path) { domains = v.map { $0.lowercased() } }
        case "ApiVersion": if let v = r.int(value, path, min: 1) { apiVersion = v }
        case "StaticDirectory": if let v = r.string(value, path) { staticDirectory = v }
        case "AllowOrigin": if let v = r.stringList(value, path) { allowOrigin = v }
        case "DefaultRedirect": if let v = r.string(value, path) { defaultRedirect = v }
        case "Debug": if let v = r.bool(value, path) { debug = v }
        case "MaximumConnections": if let v = r.int(value, path, min: 1) { maximumConnections = v }
        case "IgnoreQueryParamsKey": if let v = r.string(value, path) { ignoreQueryParamsKey = v.isEmpty ? nil : v }
        case "UrlFilter":
            if case .string(let s) = value, s.isEmpty { urlFilter = nil } else { urlFilter = r.regex(value, path) }
        case "UrlFilterMatchGroup": if let v = r.int(value, path) { urlFilterMatchGroup = v }
        case "PrefixPrivateHash": if let v = r.string(value, path) { prefixPrivateHash = v }
        case "AccountHashMixer": if let v = r.string(value, path) { accountHashMixer = v.isEmpty ? nil : v }
        case "IdleTimeoutSeconds": if let v = r.int(value, path, min: 1) { idleTimeoutSeconds = Double(v) }
        case "ReadTimeoutSeconds", "ReadHeaderTimeoutSeconds", "WriteTimeoutSeconds": _ = r.int(value, path)
        case "RequestHeaderTimeout": if let v = r.duration(value, path) { requestHeaderTimeoutSeconds = max(0.1, v) }
        case "MaxHeaderBytes": if let v = r.int(value, path, min: 1024) { maxHeaderBytes = v }
        default:
            unusedLegacyKeys.append(key.name)
        }
    }

    mutating func validate(_ r: inout ConfigValues) {
        if tls == nil { tls = legacyTLS.configuration(domains: domains, &r) }
        if let tls, tls.listenPort == listenPort, tls.listenPort != 0, tls.listenHost == listenHost {
            r.problem("$.TLS.Listen", "the HTTPS port must differ from the plain one (\(listenPort))")
        }
        if let proxyURL {
            routes.append(.shorthand(proxyURL, filter: proxyURLFilter, forceJSON: proxyForceJSON, answerOptions: !ignoreProxyOptions))
        }
        if storageBackend == "postgres", postgresURL == nil {
            r.problem("$.PostgresURL", "required when StorageBackend is \"postgres\"")
        }
        if storageBackend == "clickhouse", clickHouseURL == nil {
            r.problem("$.ClickHouseURL", "required when StorageBackend is \"clickhouse\"")
        }
        if let filter = urlFilter, urlFilterMatchGroup > filter.numberOfCaptureGroups {
            r.problem("$.UrlFilterMatchGroup", "the UrlFilter has only \(filter.numberOfCaptureGroups) groups")
        }
        if !(defaultRedirect.hasPrefix("/") || defaultRedirect.hasPrefix("http://") || defaultRedirect.hasPrefix("https://")) {
            r.problem("$.DefaultRedirect", "expected an absolute http(s) URL or a path starting with /")
        }
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
