import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import TrackerTLS
import X509

/// The keys and X.509 objects ACME needs: a certificate key with its CSR for the order, and the
/// self-signed validation certificate of TLS-ALPN-01 (RFC 8737).
public enum CertificateRequest {
    /// A new P-256 key and a CSR naming every domain in its subjectAltName.
    public static func make(names: [String]) throws -> (keyPEM: String, csrDER: [UInt8]) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(names[0]) }
        let extensions = try Certificate.Extensions { SubjectAlternativeNames(names.map { .dnsName($0) }) }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))]),
            signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        return (key.pemRepresentation, serializer.serializedBytes)
    }

    /// id-pe-acmeIdentifier: the extension that carries the key authorization's digest.
    static let acmeIdentifier: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    /// The TLS context a validation server must get for `domain` with ALPN `acme-tls/1`.
    public static func tlsALPNContext(domain: String, keyAuthorization: String) throws -> NIOSSLContext {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(domain) }
        let digest = Array(SHA256.hash(data: Data(keyAuthorization.utf8)))
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: digest[...]))
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(7 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.dnsName(domain)])
                Certificate.Extension(oid: acmeIdentifier, critical: true, value: serializer.serializedBytes[...])
            },
            issuerPrivateKey: .init(key))
        var serialized = DER.Serializer()
        try serialized.serialize(certificate)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: serialized.serializedBytes, format: .der))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.derRepresentation), format: .der)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = [CertificateStore.acmeProtocol]
        return try NIOSSLContext(configuration: configuration)
    }
}
