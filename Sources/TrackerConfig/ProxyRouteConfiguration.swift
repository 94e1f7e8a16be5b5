import Foundation
import TrackerCore

/// One entry of `Routes`: requests whose host and path match go to a pool of upstream servers.
/// `{"Name": "api", "Hosts": ["example.com"], "PathPrefix": "/api/",
///   "Upstreams": ["http://10.0.0.5:3000", "http://10.0.0.6:3000"], "Track": true}`
/// docs/configuration.md documents every key and the order in which routes are tried.
public struct ProxyRouteConfiguration: Sendable {
    public var name: String
    /// Exact names and `*.example.com` wildcards; empty means any host.
    public var hosts: [String] = []
    public var pathPrefix = "/"
    public var upstreams: [UpstreamAddress]
    public var balance = Balance.roundRobin
    public var stripPrefix = false
    public var addPrefix = ""
    /// Send the client's Host header upstream (Traefik's default); otherwise the upstream's own.
    public var passHost = true
    public var connectTimeoutSeconds = 5.0
    public var responseTimeoutSeconds = 60.0
    public var idleTimeoutSeconds = 60.0
    /// Consecutive connection failures or timeouts that eject an upstream, and for how long.
    public var maxFails = 3
    public var failTimeoutSeconds = 10.0
    public var healthCheck: HealthCheck?
    /// PEM file of the CA that signed https upstreams' certificates; the system's roots otherwise.
    public var caCertificateFile: String?
    /// Largest request body; nil for no limit (bodies are streamed, never held).
    public var maxBodyBytes: Int?
    public var track = false
    /// Paths matching this are not tracked (assets by default).
    public var trackExclude: NSRegularExpression? = ProxyRouteConfiguration.defaultTrackExclude
    /// Give new visitors a `vid` cookie on HTML answers.
    public var setVisitorCookie = false
    public var requestHeaders = HeaderRules()
    public var responseHeaders = HeaderRules()
    /// Answer CORS preflights here and add CORS headers to answers (upstream's `/api/` did both).
    public var cors = false
    /// Overwrite the request's Content-Type with application/json (upstream's `ProxyForceJson`).
    public var forceJSON = false
    public var webSockets = true

    public enum Balance: String, Sendable { case roundRobin = "round_robin", leastConnections = "least_conn" }

    public struct HealthCheck: Sendable, Equatable {
        public var path: String
        public var intervalSeconds: Double
        public var timeoutSeconds: Double

        public init(path: String, intervalSeconds: Double, timeoutSeconds: Double) {
            self.path = path
            self.intervalSeconds = intervalSeconds
            self.timeoutSeconds = timeoutSeconds
        }
    }

    public struct HeaderRules: Sendable, Equatable {
        public var set: [(name: String, value: String)] = []
        public var remove: [String] = []

        public init() {}

        public static func == (a: HeaderRules, b: HeaderRules) -> Bool {
            a.set.map(\.name) == b.set.map(\.name) && a.set.map(\.value) == b.set.map(\.value) && a.remove == b.remove
        }
    }

    public init(name: String, upstreams: [UpstreamAddress]) {
        self.name = name
        self.upstreams = upstreams
    }

    public static let defaultTrackExclude = try? NSRegularExpression(
        pattern: "\\.(css|js|mjs|map|json|png|jpe?g|gif|svg|webp|avif|ico|woff2?|ttf|eot)$", options: [.caseInsensitive])

    /// Upstream's `ProxyUrl`: everything under `/api/` on any host to one backend, the full path
    /// forwarded, the backend's own Host, CORS and preflights answered here, tracked when
    /// `ProxyUrlFilter` is set (paths matching it are not tracked).
    public static func shorthand(_ upstream: UpstreamAddress, filter: NSRegularExpression?, forceJSON: Bool,
                                 answerOptions: Bool) -> ProxyRouteConfiguration {
        var route = ProxyRouteConfiguration(name: "ProxyUrl", upstreams: [upstream])
        route.pathPrefix = "/api/"
        route.passHost = false
        route.cors = answerOptions
        route.forceJSON = forceJSON
        route.track = filter != nil
        route.trackExclude = filter
        return route
    }

    static let keys: Set<String> = [
        "Name", "Hosts", "PathPrefix", "Upstreams", "Balance", "StripPrefix", "AddPrefix", "PassHost", "ConnectTimeout",
        "ResponseTimeout", "IdleTimeout", "MaxFails", "FailTimeout", "HealthCheck", "CACertificate", "MaxBodySize",
        "Track", "TrackExclude", "SetVisitorCookie", "RequestHeaders", "ResponseHeaders", "CORS", "ForceJSON", "WebSockets",
    ]

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> [ProxyRouteConfiguration]? {
        r.objectList(value, path, keys: keys) { r, f, p in
            guard let list = f["Upstreams"].flatMap({ r.stringList($0, "\(p).Upstreams") }), !list.isEmpty else {
                r.problem("\(p).Upstreams", "required: one or more http:// or https:// servers")
                return nil
            }
            var upstreams: [UpstreamAddress] = []
            for (i, text) in list.enumerated() {
                guard let address = UpstreamAddress(text) else {
                    r.problem("\(p).Upstreams[\(i)]", "expected http://HOST:PORT or https://HOST:PORT, found \(text)")
                    continue
                }
                if address.path != "/" { r.problem("\(p).Upstreams[\(i)]", "no path here: use AddPrefix") }
                upstreams.append(address)
            }
            var route = ProxyRouteConfiguration(name: "route\(p.split(separator: "[").last.map { "[" + $0 } ?? "")", upstreams: upstreams)
            if let v = f["Name"] { route.name = r.string(v, "\(p).Name") ?? route.name }
            if let v = f["Hosts"] { route.hosts = (r.stringList(v, "\(p).Hosts") ?? []).map { $0.lowercased() } }
            if let v = f["PathPrefix"], let prefix = r.string(v, "\(p).PathPrefix") {
                if prefix.hasPrefix("/") { route.pathPrefix = prefix } else { r.problem("\(p).PathPrefix", "must start with /") }
            }
            if let v = f["Balance"], let text = r.string(v, "\(p).Balance") {
                if let balance = Balance(rawValue: text) { route.balance = balance } else {
                    r.problem("\(p).Balance", "expected \"round_robin\" or \"least_conn\"")
                }
            }
            if let v = f["StripPrefix"] { route.stripPrefix = r.bool(v, "\(p).StripPrefix") ?? false }
            if let v = f["AddPrefix"], let prefix = r.string(v, "\(p).AddPrefix") {
                if prefix.isEmpty || prefix.hasPrefix("/") { route.addPrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix }
                else { r.problem("\(p).AddPrefix", "must start with /") }
            }
            if let v = f["PassHost"] { route.passHost = r.bool(v, "\(p).PassHost") ?? true }
            if let v = f["ConnectTimeout"] { route.connectTimeoutSeconds = positive(r.duration(v, "\(p).ConnectTimeout"), route.connectTimeoutSeconds) }
            if let v = f["ResponseTimeout"] { route.responseTimeoutSeconds = positive(r.duration(v, "\(p).ResponseTimeout"), route.responseTimeoutSeconds) }
            if let v = f["IdleTimeout"] { route.idleTimeoutSeconds = positive(r.duration(v, "\(p).IdleTimeout"), route.idleTimeoutSeconds) }
            if let v = f["MaxFails"] { route.maxFails = r.int(v, "\(p).MaxFails", min: 1) ?? route.maxFails }
            if let v = f["FailTimeout"] { route.failTimeoutSeconds = positive(r.duration(v, "\(p).FailTimeout"), route.failTimeoutSeconds) }
            if let v = f["HealthCheck"] { route.healthCheck = readHealthCheck(v, "\(p).HealthCheck", &r) }
            if let v = f["CACertificate"] { route.caCertificateFile = r.string(v, "\(p).CACertificate") }
            if let v = f["MaxBodySize"] { route.maxBodyBytes = r.size(v, "\(p).MaxBodySize") }
            if let v = f["Track"] { route.track = r.bool(v, "\(p).Track") ?? false }
            if let v = f["TrackExclude"] {
                if case .string(let s) = v, s.isEmpty { route.trackExclude = nil } else { route.trackExclude = r.regex(v, "\(p).TrackExclude") }
            }
            if let v = f["SetVisitorCookie"] { route.setVisitorCookie = r.bool(v, "\(p).SetVisitorCookie") ?? false }
            if let v = f["RequestHeaders"] { route.requestHeaders = readRules(v, "\(p).RequestHeaders", &r) }
            if let v = f["ResponseHeaders"] { route.responseHeaders = readRules(v, "\(p).ResponseHeaders", &r) }
            if let v = f["CORS"] { route.cors = r.bool(v, "\(p).CORS") ?? false }
            if let v = f["ForceJSON"] { route.forceJSON = r.bool(v, "\(p).ForceJSON") ?? false }
            if let v = f["WebSockets"] { route.webSockets = r.bool(v, "\(p).WebSockets") ?? true }
            return route
        }
    }

    static func positive(_ value: Double?, _ fallback: Double) -> Double {
        guard let value, value > 0 else { return fallback }
        return value
    }

    static func readHealthCheck(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> HealthCheck? {
        guard case .object(let f) = value else {
            r.problem(path, "expected {\"Path\": \"/health\", \"Interval\": \"5s\"}")
            return nil
        }
        for key in f.keys.sorted() where !["Path", "Interval", "Timeout"].contains(key) { r.problem("\(path).\(key)", "unknown key") }
        guard let checkPath = f["Path"].flatMap({ r.string($0, "\(path).Path") }), checkPath.hasPrefix("/") else {
            r.problem("\(path).Path", "required, starting with /")
            return nil
        }
        let interval = positive(f["Interval"].flatMap { r.duration($0, "\(path).Interval") }, 5)
        let timeout = positive(f["Timeout"].flatMap { r.duration($0, "\(path).Timeout") }, 2)
        return HealthCheck(path: checkPath, intervalSeconds: interval, timeoutSeconds: timeout)
    }

    static func readRules(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> HeaderRules {
        var rules = HeaderRules()
        guard case .object(let f) = value else {
            r.problem(path, "expected {\"Set\": {\"Name\": \"value\"}, \"Remove\": [\"Name\"]}")
            return rules
        }
        for key in f.keys.sorted() where !["Set", "Remove"].contains(key) { r.problem("\(path).\(key)", "unknown key") }
        if let set = f["Set"] {
            if case .object(let pairs) = set {
                for name in pairs.keys.sorted() {
                    guard let value = r.string(pairs[name]!, "\(path).Set.\(name)") else { continue }
                    guard HeaderValidation.isValid((name, value)) else {
                        r.problem("\(path).Set.\(name)", "not a valid header: a name is a token, a value has no control characters")
                        continue
                    }
                    rules.set.append((name: name, value: value))
                }
            } else {
                r.problem("\(path).Set", "expected an object of header names to values")
            }
        }
        if let remove = f["Remove"] { rules.remove = r.stringList(remove, "\(path).Remove") ?? [] }
        return rules
    }
}

/// `http://host:port` or `https://host:port` (default ports 80 and 443, IPv6 in brackets).
public struct UpstreamAddress: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    public var path: String
    /// As the Host header names it (computed once: it is sent with every request).
    public private(set) var authority = ""

    public init?(_ text: String) {
        let rest: Substring
        if text.lowercased().hasPrefix("http://") { tls = false; rest = text.dropFirst(7) }
        else if text.lowercased().hasPrefix("https://") { tls = true; rest = text.dropFirst(8) }
        else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        path = rest.dropFirst(authority.count).isEmpty ? "/" : String(rest.dropFirst(authority.count))
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<end])
            let after = authority[authority.index(after: end)...]
            if after.isEmpty { port = tls ? 443 : 80 }
            else if after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) { port = p }
            else { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = String(authority)
            port = tls ? 443 : 80
        }
        guard !host.isEmpty else { return nil }
        let name = host.contains(":") ? "[\(host)]" : host
        self.authority = port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { "\(tls ? "https" : "http")://\(authority)" }
}
