import NIOSSL

/// How the TLS listener negotiates, for every certificate alike.
public struct TLSSettings: Sendable {
    /// TLS 1.2 or 1.3: nothing older is offered.
    public var minimumVersion: TLSVersion = .tlsv12
    /// Offer HTTP/2 by ALPN (alongside HTTP/1.1).
    public var http2 = true

    /// Forward-secret AEAD suites only (Mozilla's "intermediate" list) for TLS 1.2; TLS 1.3's
    /// suites are all modern and not configurable in BoringSSL.
    public static let cipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    public init(minimumVersion: TLSVersion = .tlsv12, http2: Bool = true) {
        self.minimumVersion = minimumVersion
        self.http2 = http2
    }

    public var applicationProtocols: [String] { http2 ? ["h2", "http/1.1"] : ["http/1.1"] }

    public func serverConfiguration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = minimumVersion
        configuration.cipherSuites = Self.cipherSuites
        configuration.applicationProtocols = applicationProtocols
        return configuration
    }
}
