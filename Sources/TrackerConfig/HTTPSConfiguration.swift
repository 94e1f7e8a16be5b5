import TrackerCore

/// `TLS`: the HTTPS listener, its certificates (files and/or ACME), HSTS and the plain port's
/// redirect. docs/configuration.md §TLS documents every key.
public struct HTTPSConfiguration: Sendable, Equatable {
    public struct CertificateFiles: Sendable, Equatable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public struct ACME: Sendable, Equatable {
        public var email: String?
        public var domains: [String] = []
        public var directoryURL = ACME.letsEncrypt
        /// A PEM root trusted for the CA's own HTTPS (a private CA or Pebble).
        public var caRoot: String?
        public var challenges = ["http-01", "tls-alpn-01"]
        public var renewAfter = 2.0 / 3.0
        public var retrySeconds = 60.0
        /// Certificates for names first seen in a handshake, when allowed.
        public var onDemand: OnDemand?

        public struct OnDemand: Sendable, Equatable {
            /// Exact names or `*.example.com` (any depth below it).
            public var allow: [String] = []
            /// Asked `GET <Ask>?domain=<name>`; a 2xx answer allows the name.
            public var ask: String?
            public var maxPerMinute = 10

            public init(allow: [String] = [], ask: String? = nil) {
                self.allow = allow
                self.ask = ask
            }
        }

        public init(domains: [String] = [], email: String? = nil) {
            self.domains = domains
            self.email = email
        }

        public static let letsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"
        public static let letsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
    }

    public var listenHost = "0.0.0.0"
    public var listenPort = 8443
    public var certificates: [CertificateFiles] = []
    public var acme: ACME?
    /// The Strict-Transport-Security value; nil sends none.
    public var hsts: String?
    /// The plain listener answers every request (but ACME's HTTP-01) with a redirect to HTTPS.
    public var redirectHTTP = true
    /// The port put in redirect URLs when the public one differs from `listenPort` (NAT, a
    /// load balancer); 443 is left out of URLs.
    public var redirectPort: Int?
    public var http2 = true
    /// "1.2" or "1.3".
    public var minimumVersion = "1.2"
    public var reloadIntervalSeconds = 10.0

    public init() {}

    public var publicPort: Int { redirectPort ?? listenPort }

    static let keys: Set<String> = ["Listen", "Certificates", "ACME", "HSTS", "RedirectHTTP", "RedirectPort", "HTTP2",
                                    "MinVersion", "ReloadInterval"]

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> HTTPSConfiguration? {
        r.objectList(.array([value]), path, keys: keys) { r, fields, _ in
            var tls = HTTPSConfiguration()
            if let v = fields["Listen"], let text = r.string(v, "\(path).Listen") {
                if let (host, port) = TrackerConfiguration.hostPort(text) { tls.listenHost = host; tls.listenPort = port }
                else { r.problem("\(path).Listen", "expected HOST:PORT such as \"0.0.0.0:443\"") }
            }
            if let v = fields["Certificates"] {
                tls.certificates = r.objectList(v, "\(path).Certificates", keys: ["Cert", "Key"]) { r, pair, itemPath in
                    guard let cert = pair["Cert"].flatMap({ r.string($0, "\(itemPath).Cert") }),
                          let key = pair["Key"].flatMap({ r.string($0, "\(itemPath).Key") }) else {
                        r.problem(itemPath, "needs both Cert and Key (PEM files)")
                        return nil
                    }
                    return CertificateFiles(certificate: cert, key: key)
                } ?? []
            }
            if let v = fields["ACME"] { tls.acme = readACME(v, "\(path).ACME", &r) }
            if let v = fields["HSTS"] { tls.hsts = readHSTS(v, "\(path).HSTS", &r) }
            if let v = fields["RedirectHTTP"], let on = r.bool(v, "\(path).RedirectHTTP") { tls.redirectHTTP = on }
            if let v = fields["RedirectPort"], let port = r.int(v, "\(path).RedirectPort", min: 1) { tls.redirectPort = port }
            if let v = fields["HTTP2"], let on = r.bool(v, "\(path).HTTP2") { tls.http2 = on }
            if let v = fields["MinVersion"], let version = r.string(v, "\(path).MinVersion") {
                if ["1.2", "1.3"].contains(version) { tls.minimumVersion = version }
                else { r.problem("\(path).MinVersion", "expected \"1.2\" or \"1.3\"") }
            }
            if let v = fields["ReloadInterval"], let seconds = r.duration(v, "\(path).ReloadInterval") {
                tls.reloadIntervalSeconds = max(seconds, 0.1)
            }
            if tls.certificates.isEmpty, tls.acme == nil {
                r.problem(path, "needs Certificates (PEM files) or ACME (automatic certificates)")
            }
            return tls
        }?.first
    }

    static func readACME(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> ACME? {
        let keys: Set<String> = ["Email", "Domains", "Directory", "CARoot", "Challenges", "RenewAfter", "RetryInterval", "OnDemand"]
        return r.objectList(.array([value]), path, keys: keys) { r, fields, _ in
            var acme = ACME()
            if let v = fields["Email"] { acme.email = r.string(v, "\(path).Email") }
            if let v = fields["Domains"], let list = r.stringList(v, "\(path).Domains") {
                acme.domains = list.map { $0.lowercased() }
                for (i, name) in acme.domains.enumerated() where !validDomain(name) {
                    r.problem("\(path).Domains[\(i)]", "not a DNS name: \(name)")
                }
            }
            if let v = fields["OnDemand"] { acme.onDemand = readOnDemand(v, "\(path).OnDemand", &r) }
            if acme.domains.isEmpty, acme.onDemand == nil { r.problem("\(path).Domains", "at least one domain is required (or OnDemand)") }
            if let v = fields["Directory"], let text = r.string(v, "\(path).Directory") {
                switch text {
                case "letsencrypt": acme.directoryURL = ACME.letsEncrypt
                case "letsencrypt-staging": acme.directoryURL = ACME.letsEncryptStaging
                default:
                    if text.hasPrefix("https://") { acme.directoryURL = text }
                    else { r.problem("\(path).Directory", "expected \"letsencrypt\", \"letsencrypt-staging\" or an https:// directory URL") }
                }
            }
            if let v = fields["CARoot"] { acme.caRoot = r.string(v, "\(path).CARoot") }
            if let v = fields["Challenges"], let list = r.stringList(v, "\(path).Challenges") {
                let known = ["http-01", "tls-alpn-01"]
                for name in list where !known.contains(name) {
                    r.problem("\(path).Challenges", "unknown challenge \(name) (expected http-01 and/or tls-alpn-01)")
                }
                if list.isEmpty { r.problem("\(path).Challenges", "at least one challenge type") }
                acme.challenges = list
            }
            if let v = fields["RenewAfter"] {
                if case .number(let fraction) = v, fraction > 0, fraction < 1 { acme.renewAfter = fraction }
                else { r.problem("\(path).RenewAfter", "expected the part of the lifetime after which to renew, between 0 and 1") }
            }
            if let v = fields["RetryInterval"], let seconds = r.duration(v, "\(path).RetryInterval") { acme.retrySeconds = max(seconds, 0.1) }
            return acme
        }?.first
    }

    static func readOnDemand(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> ACME.OnDemand? {
        r.objectList(.array([value]), path, keys: ["Allow", "Ask", "MaxPerMinute"]) { r, fields, _ in
            var onDemand = ACME.OnDemand()
            if let v = fields["Allow"], let list = r.stringList(v, "\(path).Allow") { onDemand.allow = list.map { $0.lowercased() } }
            if let v = fields["Ask"], let url = r.string(v, "\(path).Ask") {
                if url.hasPrefix("http://") || url.hasPrefix("https://") { onDemand.ask = url }
                else { r.problem("\(path).Ask", "expected an http(s) URL") }
            }
            if let v = fields["MaxPerMinute"], let count = r.int(v, "\(path).MaxPerMinute", min: 1) { onDemand.maxPerMinute = count }
            if onDemand.allow.isEmpty, onDemand.ask == nil {
                r.problem(path, "needs Allow or Ask: certificates are never obtained for any name")
            }
            return onDemand
        }?.first
    }

    /// `true` (a year), a number of seconds, or `{"MaxAge": "365d", "IncludeSubdomains": true, "Preload": true}`.
    static func readHSTS(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> String? {
        switch value {
        case .bool(let on): return on ? "max-age=31536000" : nil
        case .number, .string:
            return r.duration(value, path).map { "max-age=\(Int($0))" }
        default:
            return r.objectList(.array([value]), path, keys: ["MaxAge", "IncludeSubdomains", "Preload"]) { r, fields, _ in
                var header = "max-age=\(Int(fields["MaxAge"].flatMap { r.duration($0, "\(path).MaxAge") } ?? 31_536_000))"
                if let v = fields["IncludeSubdomains"], r.bool(v, "\(path).IncludeSubdomains") == true { header += "; includeSubDomains" }
                if let v = fields["Preload"], r.bool(v, "\(path).Preload") == true { header += "; preload" }
                return header
            }?.first
        }
    }

    static func validDomain(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, name.utf8.count <= 253 else { return false }
        return labels.enumerated().allSatisfy { index, label in
            (index == 0 && label == "*") || (!label.isEmpty && label.count <= 63 && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" })
        }
    }
}
