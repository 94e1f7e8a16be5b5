import Crypto
import _CryptoExtras
import Foundation

/// API keys and shortener passwords. A key is `trk_<id>_<secret>`: the id finds the stored key in
/// one lookup, and only the SHA-256 of the 32-byte random secret is stored (a secret that random
/// needs no slow hash). Passwords of upstream's `/rpi/v1/` accounts are chosen by people, so they
/// get PBKDF2-SHA256 with a random salt and OWASP's iteration count (upstream: unsalted SHA-1).
public enum LinkCredentials {
    public struct NewKey: Sendable {
        public let id: String
        public let token: String
        public let secretHash: String
    }

    public static func newKey(random: any RandomSource) -> NewKey {
        let id = randomBase36(10, random: random)
        let secret = Hashing.base64URL(random.bytes(32), padded: false)
        return NewKey(id: String(id), token: "trk_\(id)_\(secret)", secretHash: sha256Hex(secret))
    }

    /// The id and secret of a `trk_<id>_<secret>` token (the secret may itself hold `_`).
    public static func parse(token: String) -> (id: String, secret: String)? {
        guard token.hasPrefix("trk_") else { return nil }
        let rest = token.dropFirst(4)
        guard let split = rest.firstIndex(of: "_") else { return nil }
        let id = String(rest[..<split]), secret = String(rest[rest.index(after: split)...])
        guard !id.isEmpty, !secret.isEmpty else { return nil }
        return (id, secret)
    }

    public static func matches(secret: String, hash: String) -> Bool {
        constantTimeEqual(Array(sha256Hex(secret).utf8), Array(hash.utf8))
    }

    public static let passwordRounds = 600_000

    /// `pbkdf2-sha256$<rounds>$<salt>$<hash>`, salt and hash in base64url.
    public static func hashPassword(_ password: String, random: any RandomSource, rounds: Int = passwordRounds) -> String {
        let salt = random.bytes(16)
        let derived = pbkdf2(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Hashing.base64URL(salt, padded: false))$\(Hashing.base64URL(derived, padded: false))"
    }

    public static func verifyPassword(_ password: String, stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0,
              let salt = base64URLDecode(String(parts[2])), let expected = base64URLDecode(String(parts[3])) else { return false }
        return constantTimeEqual(pbkdf2(password, salt: salt, rounds: rounds), expected)
    }

    static func pbkdf2(_ password: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                     outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.map { $0.withUnsafeBytes { Array($0) } } ?? []
    }

    public static func sha256Hex(_ text: String) -> String {
        Hashing.hex(SHA256.hash(data: Array(text.utf8)))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// Lower-case letters and digits, uniformly drawn (bytes past 251 are skipped, as 252 is the
    /// last multiple of 36): ids and slugs survive case-insensitive lookups and URLs.
    public static func randomBase36(_ count: Int, random: any RandomSource) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var out = ""
        while out.count < count {
            for byte in random.bytes(count * 2) where byte < 252 && out.count < count {
                out.append(alphabet[Int(byte) % 36])
            }
        }
        return out
    }
}
