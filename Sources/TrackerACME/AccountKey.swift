import Crypto
import Foundation

/// The account's ES256 key: signs every request (RFC 7515 flattened JWS) and gives the thumbprint
/// that key authorizations end with (RFC 7638).
public struct AccountKey: Sendable {
    /// The scalar; the key object itself is not Sendable in swift-crypto 3.
    let raw: Data

    public init() {
        raw = P256.Signing.PrivateKey().rawRepresentation
    }

    public init(pem: String) throws {
        raw = try P256.Signing.PrivateKey(pemRepresentation: pem).rawRepresentation
    }

    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: raw) }

    public var pem: String { key.pemRepresentation }

    /// The public JWK with its members in lexicographic order, as the thumbprint requires.
    public var jwk: String {
        let raw = key.publicKey.rawRepresentation       // x ‖ y, 32 bytes each
        let x = Base64URL.encode(raw.prefix(32)), y = Base64URL.encode(raw.suffix(32))
        return "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(x)\",\"y\":\"\(y)\"}"
    }

    public var thumbprint: String {
        Base64URL.encode(Data(SHA256.hash(data: Data(jwk.utf8))))
    }

    public func keyAuthorization(token: String) -> String {
        token + "." + thumbprint
    }

    /// A JWS for `url`: with the JWK itself (new accounts) or the account URL as `kid`.
    /// `payload` nil is POST-as-GET (an empty payload).
    public func sign(url: String, nonce: String, kid: String?, payload: String?) throws -> String {
        var protected = "{\"alg\":\"ES256\","
        if let kid { protected += "\"kid\":" + Self.quote(kid) } else { protected += "\"jwk\":" + jwk }
        protected += ",\"nonce\":" + Self.quote(nonce) + ",\"url\":" + Self.quote(url) + "}"
        let encodedProtected = Base64URL.encode(Data(protected.utf8))
        let encodedPayload = payload.map { Base64URL.encode(Data($0.utf8)) } ?? ""
        let signature = try key.signature(for: Data((encodedProtected + "." + encodedPayload).utf8))
        return "{\"protected\":\"\(encodedProtected)\",\"payload\":\"\(encodedPayload)\",\"signature\":\"\(Base64URL.encode(signature.rawRepresentation))\"}"
    }

    static func quote(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}

public enum Base64URL {
    public static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }
}
