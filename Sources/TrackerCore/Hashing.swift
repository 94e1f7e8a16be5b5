import Crypto
import Foundation

/// The hashes of the upstream wire protocol (site keys, legacy IP hash, PII hashes), with its test
/// vectors (spec §20), plus the keyed IP hash that replaces the reversible legacy one.
public enum Hashing {
    /// FNV-1a, 32 bits.
    public static func fnv1a32(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    public static func base36(_ value: UInt32) -> String {
        String(value, radix: 36)
    }

    /// Site key: base36(FNV-1a-32(lower(trim(host)))); `localhost` → `d4md6`.
    public static func hostHash(_ host: String) -> String {
        base36(fnv1a32(host.trimmingCharacters(in: .whitespaces).lowercased()))
    }

    /// Upstream's unsalted IP hash, kept only for compatibility and tests: it is trivially reversible.
    public static func legacyIPHash(_ ip: String) -> String {
        var h = base36(fnv1a32(ip))
        for _ in 0..<3 { h += base36(fnv1a32(ip + h)) }
        return h
    }

    /// base64url (with padding) of SHA-1(salt + lower(trim(value))): upstream's `ehash`/`chash`/`uhash`.
    public static func privateHash(_ value: String, salt: String) -> String {
        let input = salt + value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let digest = Insecure.SHA1.hash(data: Array(input.utf8))
        return base64URL(Data(digest))
    }

    /// A keyed hash of an IP: HMAC-SHA256 with a server secret, so the 2^32 IPv4 space cannot be
    /// brute-forced from the stored value without the key. 16 bytes of it, base64url, no padding.
    public static func keyedIPHash(_ ip: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(ip.utf8), using: key)
        let truncated = Data(mac).prefix(16)
        return String(base64URL(truncated).prefix { $0 != "=" })
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }
}
