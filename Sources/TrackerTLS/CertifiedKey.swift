import Foundation
import NIOSSL
import X509

/// A certificate chain with its private key, ready to serve: the names it covers and its validity
/// read from the leaf, and the TLS context built once.
public struct CertifiedKey: Sendable {
    /// DNS names of the leaf's subjectAltName (lower-cased; `*.example.com` for wildcards).
    public let names: [String]
    public let notBefore: Date
    public let notAfter: Date
    public let context: NIOSSLContext
    public let chainPEM: String

    public enum Failure: Error, CustomStringConvertible {
        case noCertificate
        case unreadable(String)
        case keyMismatch
        public var description: String {
            switch self {
            case .noCertificate: "no certificate in the PEM"
            case .unreadable(let why): "the certificate or key cannot be read: \(why)"
            case .keyMismatch: "the private key does not belong to the certificate"
            }
        }
    }

    public init(chainPEM: String, keyPEM: String, settings: TLSSettings) throws {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let leaf: Certificate
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            guard let first = chain.first else { throw Failure.noCertificate }
            leaf = try Certificate(derEncoded: try first.toDERBytes())
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.unreadable("\(error)")
        }
        let privateKey = try? Certificate.PrivateKey(pemEncoded: keyPEM)
        if let privateKey, privateKey.publicKey != leaf.publicKey { throw Failure.keyMismatch }
        var names: [String] = []
        if let alternatives = try? leaf.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in alternatives { names.append(name.lowercased()) }
        }
        if names.isEmpty, let common = leaf.subject.commonName { names = [common.lowercased()] }
        self.names = names
        self.notBefore = leaf.notValidBefore
        self.notAfter = leaf.notValidAfter
        self.chainPEM = chainPEM
        do {
            context = try NIOSSLContext(configuration: settings.serverConfiguration(chain: chain, key: key))
        } catch {
            throw Failure.unreadable("\(error)")
        }
    }

    /// Whether the certificate covers `host` (one wildcard label at most, as browsers match).
    public func covers(_ host: String) -> Bool {
        names.contains { Self.matches(pattern: $0, host: host) }
    }

    public static func matches(pattern: String, host: String) -> Bool {
        if pattern == host { return true }
        guard pattern.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
        return host[dot...] == pattern.dropFirst()
    }
}

extension DistinguishedName {
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}
