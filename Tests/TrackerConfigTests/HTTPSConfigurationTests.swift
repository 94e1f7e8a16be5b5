import Testing
@testable import TrackerConfig
import TrackerCore

/// The `TLS` section and upstream's TLS keys.
struct HTTPSConfigurationTests {
    static func load(_ json: String, environment: [String: String] = [:]) throws(ConfigError) -> TrackerConfiguration {
        guard case .object(let fields) = try! JSONParser.parse(Array(json.utf8)) else { fatalError("test JSON") }
        return try TrackerConfiguration.decode(fields, environment: environment)
    }

    static func problems(_ json: String) -> String {
        do {
            _ = try load(json)
            return ""
        } catch {
            return error.description
        }
    }

    @Test func everyKeyOfTheSection() throws {
        let config = try Self.load(#"""
            {"TLS": {"Listen": "127.0.0.1:443", "Certificates": [{"Cert": "a.pem", "Key": "a.key"}],
             "ACME": {"Email": "ops@shop.example", "Domains": ["Shop.Example", "*.cdn.shop.example"], "Directory": "letsencrypt-staging",
                      "CARoot": "root.pem", "Challenges": ["tls-alpn-01"], "RenewAfter": 0.5, "RetryInterval": "30s"},
             "HSTS": {"MaxAge": "2d", "IncludeSubdomains": true, "Preload": true}, "RedirectHTTP": false, "RedirectPort": 8443,
             "HTTP2": false, "MinVersion": "1.3", "ReloadInterval": "5s"}}
            """#)
        let tls = try #require(config.tls)
        #expect(tls.listenHost == "127.0.0.1" && tls.listenPort == 443)
        #expect(tls.certificates == [.init(certificate: "a.pem", key: "a.key")])
        #expect(tls.hsts == "max-age=172800; includeSubDomains; preload")
        #expect(!tls.redirectHTTP && tls.redirectPort == 8443 && tls.publicPort == 8443)
        #expect(!tls.http2 && tls.minimumVersion == "1.3" && tls.reloadIntervalSeconds == 5)
        let acme = try #require(tls.acme)
        #expect(acme.domains == ["shop.example", "*.cdn.shop.example"])
        #expect(acme.directoryURL == HTTPSConfiguration.ACME.letsEncryptStaging)
        #expect(acme.caRoot == "root.pem" && acme.challenges == ["tls-alpn-01"] && acme.renewAfter == 0.5 && acme.retrySeconds == 30)
        #expect(acme.email == "ops@shop.example")
    }

    @Test func oneLineForAutomaticHTTPS() throws {
        let tls = try #require(try Self.load(#"{"TLS": {"ACME": {"Domains": ["shop.example"]}}}"#).tls)
        #expect(tls.listenPort == 8443)
        #expect(tls.acme?.directoryURL == HTTPSConfiguration.ACME.letsEncrypt)
        #expect(tls.acme?.challenges == ["http-01", "tls-alpn-01"])
        #expect(tls.redirectHTTP && tls.http2 && tls.hsts == nil)
        #expect(try Self.load(#"{"TLS": {"ACME": {"Domains": ["a.example"]}, "HSTS": true}}"#).tls?.hsts == "max-age=31536000")
    }

    @Test func mistakesAreReportedWithTheirPaths() {
        #expect(Self.problems(#"{"TLS": {}}"#).contains("needs Certificates (PEM files) or ACME"))
        #expect(Self.problems(#"{"TLS": {"Certificates": [{"Cert": "a.pem"}]}}"#).contains("needs both Cert and Key"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"Domains": []}}}"#).contains("at least one domain"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"Domains": ["localhost"]}}}"#).contains("not a DNS name: localhost"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"Domains": ["a.example"], "Directory": "http://ca"}}}"#).contains("$.TLS.ACME.Directory"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"Domains": ["a.example"], "Challenges": ["dns-01"]}}}"#).contains("unknown challenge dns-01"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"Domains": ["a.example"], "RenewAfter": 1.5}}}"#).contains("between 0 and 1"))
        #expect(Self.problems(#"{"TLS": {"Certificates": [{"Cert": "a", "Key": "b"}], "MinVersion": "1.0"}}"#).contains("expected \"1.2\" or \"1.3\""))
        #expect(Self.problems(#"{"TLS": {"Certificates": [{"Cert": "a", "Key": "b"}], "Colour": 1}}"#).contains("Colour: unknown key"))
        #expect(Self.problems(#"{"Listen": "0.0.0.0:8443", "TLS": {"Certificates": [{"Cert": "a", "Key": "b"}]}}"#)
            .contains("must differ from the plain one"))
    }

    @Test func upstreamKeysWithoutItsPortBugs() throws {
        // ProxyPortTLS alone is enough (upstream also needed ProxyPort); the redirect port is a port.
        let local = try #require(try Self.load(#"""
            {"UseLocalTLS": true, "TLSCert": "c.pem", "TLSKey": "k.pem", "ProxyPortTLS": ":9443", "ProxyPortRedirect": ":443"}
            """#).tls)
        #expect(local.listenPort == 9443 && local.certificates.count == 1 && local.publicPort == 443)
        // UseLocalTLS false was Let's Encrypt for the Domains (the public ones), on any port here.
        let acme = try #require(try Self.load(#"""
            {"UseLocalTLS": false, "Domains": ["localhost", "tr.sfpl.io", "dev.local"], "ProxyPortTLS": ":443"}
            """#).tls)
        #expect(acme.acme?.domains == ["tr.sfpl.io"])
        #expect(try Self.load(#"{"UseLocalTLS": true, "TLSCert": "c.pem", "TLSKey": "k.pem"}"#).tls == nil)
        #expect(Self.problems(#"{"UseLocalTLS": true, "ProxyPortTLS": ":9443"}"#).contains("needs TLSCert and TLSKey"))
        // The new section wins over the old keys.
        let both = try Self.load(#"{"UseLocalTLS": true, "TLSCert": "c", "TLSKey": "k", "ProxyPortTLS": ":9443", "TLS": {"ACME": {"Domains": ["a.example"]}}}"#)
        #expect(both.tls?.acme != nil && both.tls?.certificates.isEmpty == true)
    }

    @Test func certificatesOnDemandNeedAPolicy() throws {
        let tls = try #require(try Self.load(#"""
            {"TLS": {"ACME": {"OnDemand": {"Allow": ["*.Customers.Example"], "Ask": "http://127.0.0.1:9000/allowed", "MaxPerMinute": 3}}}}
            """#).tls)
        #expect(tls.acme?.domains == [])
        #expect(tls.acme?.onDemand?.allow == ["*.customers.example"])
        #expect(tls.acme?.onDemand?.ask == "http://127.0.0.1:9000/allowed")
        #expect(tls.acme?.onDemand?.maxPerMinute == 3)
        #expect(Self.problems(#"{"TLS": {"ACME": {"OnDemand": {}}}}"#).contains("needs Allow or Ask"))
        #expect(Self.problems(#"{"TLS": {"ACME": {"OnDemand": {"Ask": "ftp://x"}}}}"#).contains("expected an http(s) URL"))
    }

    @Test func theSectionFromTheEnvironment() throws {
        let config = try Self.load("{}", environment: ["TRACKER_TLS": #"{"ACME": {"Domains": ["env.example"]}}"#])
        #expect(config.tls?.acme?.domains == ["env.example"])
    }
}
