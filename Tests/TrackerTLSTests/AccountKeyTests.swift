import Crypto
import Foundation
import NIOSSL
import Testing
import X509
@testable import TrackerACME
import TrackerTLS

/// The cryptography ACME needs: JWS that verify with the account's public key, the JWK
/// thumbprint, the CSR and the TLS-ALPN-01 certificate's extension.
struct AccountKeyTests {
    @Test func signedRequestsVerifyWithTheAccountKey() throws {
        let key = AccountKey()
        let jws = try key.sign(url: "https://ca/order", nonce: "n0nce", kid: "https://ca/acct/1", payload: #"{"a":1}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(jws.utf8)) as? [String: String])
        let protected = try #require(Base64URL.decode(object["protected"]!))
        let header = try #require(try JSONSerialization.jsonObject(with: protected) as? [String: String])
        #expect(header == ["alg": "ES256", "kid": "https://ca/acct/1", "nonce": "n0nce", "url": "https://ca/order"])
        #expect(Base64URL.decode(object["payload"]!) == Data(#"{"a":1}"#.utf8))
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(object["signature"]!)))
        #expect(key.key.publicKey.isValidSignature(signature, for: Data((object["protected"]! + "." + object["payload"]!).utf8)))
        // POST-as-GET: an empty payload; a new account carries the JWK instead of a kid.
        let get = try key.sign(url: "https://ca/authz/1", nonce: "n", kid: nil, payload: nil)
        #expect(get.contains(#""payload":"""#))
        #expect(String(decoding: Base64URL.decode(get.split(separator: "\"")[3].description)!, as: UTF8.self).contains(#""jwk":{"crv":"P-256","kty":"EC""#))
    }

    @Test func thumbprintIsTheSHA256OfTheCanonicalJWK() throws {
        let key = try AccountKey(pem: AccountKey().pem)
        let expected = Base64URL.encode(Data(SHA256.hash(data: Data(key.jwk.utf8))))
        #expect(key.thumbprint == expected)
        #expect(key.thumbprint.count == 43)
        #expect(key.keyAuthorization(token: "tok") == "tok." + expected)
        #expect(key.jwk.hasPrefix(#"{"crv":"P-256","kty":"EC","x":""#))
    }

    @Test func theCSRNamesEveryDomain() throws {
        let request = try CertificateRequest.make(names: ["a.test", "www.a.test"])
        let csr = try CertificateSigningRequest(derEncoded: request.csrDER)
        let requested = try #require(try csr.attributes.extensionRequest?.extensions.subjectAlternativeNames)
        #expect(Array(requested) == [.dnsName("a.test"), .dnsName("www.a.test")])
        #expect(csr.subject.description.contains("a.test"))
        #expect(csr.publicKey == (try Certificate.PrivateKey(pemEncoded: request.keyPEM)).publicKey)
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<10 {
            let data = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 * 77 + 250) })
            let text = Base64URL.encode(data)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == data)
        }
    }
}
