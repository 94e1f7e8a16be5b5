/// Upstream's TLS keys (`UseLocalTLS`, `TLSCert`, `TLSKey`, `ProxyPortTLS`, `ProxyPortRedirect`),
/// read as it meant them, without its bugs: TLS is on when `ProxyPortTLS` is set (upstream also
/// required `ProxyPort`); local files with `UseLocalTLS`, else Let's Encrypt for the `Domains`
/// (upstream's autocert), on any port; the redirect port is a port, never `:https`.
struct LegacyTLS: Sendable {
    var useLocal: Bool?
    var certificate: String?
    var key: String?
    var port: String?
    var redirectPort: String?

    func configuration(domains: [String], _ r: inout ConfigValues) -> HTTPSConfiguration? {
        guard let port, !port.isEmpty else { return nil }
        var tls = HTTPSConfiguration()
        guard let (host, number) = TrackerConfiguration.hostPort(port.hasPrefix(":") ? "0.0.0.0" + port : port) else {
            r.problem("$.ProxyPortTLS", "expected \":PORT\" or HOST:PORT")
            return nil
        }
        tls.listenHost = host
        tls.listenPort = number
        if let redirectPort, !redirectPort.isEmpty {
            if let port = Int(redirectPort.drop { $0 == ":" }), port > 0 { tls.redirectPort = port }
            else { r.problem("$.ProxyPortRedirect", "expected \":PORT\"") }
        }
        if useLocal ?? true {
            guard let certificate, let key else {
                r.problem("$.TLSCert", "UseLocalTLS needs TLSCert and TLSKey")
                return nil
            }
            tls.certificates = [.init(certificate: certificate, key: key)]
        } else {
            var acme = HTTPSConfiguration.ACME()
            // autocert's host whitelist held development names too; only public names can be issued.
            acme.domains = domains.filter { HTTPSConfiguration.validDomain($0) && !$0.hasSuffix(".localhost") && !$0.hasSuffix(".local") }
            guard !acme.domains.isEmpty else {
                r.problem("$.Domains", "UseLocalTLS false asks Let's Encrypt for the Domains, and none is a public DNS name")
                return nil
            }
            tls.acme = acme
        }
        return tls
    }
}
