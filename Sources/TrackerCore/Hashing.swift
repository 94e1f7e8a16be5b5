import Crypto
import Foundation

/// The hashes of the upstream wire protocol (site keys, legacy IP hash, PII hashes), with its test
/// vectors (spec §20), plus the keyed IP hash that replaces the reversible legacy one.
public enum Hashing {
    /// FNV-1a, 32 bits.
    public static func fnv1a32(_ text: String) -> UInt32 {
        fnv1a32(bytes: text.utf8)
    }

    static func fnv1a32<Bytes: Sequence<UInt8>>(bytes: Bytes) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// At most 7 digits, so always a small string; written by hand because `String(_:radix:)`
    /// is generic and was the larger part of hashing a site's host or a browser for every event.
    public static func base36(_ value: UInt32) -> String {
        var digits: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &digits) { out in
            var rest = value
            var start = out.count
            repeat {
                start -= 1
                let digit = UInt8(rest % 36)
                out[start] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                rest /= 36
            } while rest > 0
            return String(decoding: UnsafeRawBufferPointer(rebasing: out[start...]), as: UTF8.self)
        }
    }

    /// Site key: base36(FNV-1a-32(lower(trim(host)))); `localhost` → `d4md6`.
    /// An ASCII host is trimmed, checked and hashed as lower case in one pass over its bytes, with
    /// no new string (it runs twice per event, for the site and the browser: a lazy map over the
    /// string's UTF-8 view was a twentieth of the pixel's pipeline).
    public static func hostHash(_ host: String) -> String {
        var host = host
        let ascii = host.withUTF8 { bytes -> UInt32? in
            let range = ASCII.trimmed(0..<bytes.count, in: bytes)
            var hash: UInt32 = 2_166_136_261
            for index in range {
                let byte = bytes[index]
                guard byte < 0x80 else { return nil }
                hash ^= UInt32(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                hash = hash &* 16_777_619
            }
            return hash
        }
        return base36(ascii ?? fnv1a32(ASCII.trimmed(host).lowercased()))
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
        return digest.withUnsafeBytes { base64URL($0) }
    }

    /// A keyed hash of an IP: HMAC-SHA256 with a server secret, so the 2^32 IPv4 space cannot be
    /// brute-forced from the stored value without the key. 16 bytes of it, base64url, no padding.
    public static func keyedIPHash(_ ip: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(ip.utf8), using: key)
        return mac.withUnsafeBytes { base64URL($0.prefix(16), padded: false) }
    }

    /// Lower-case hexadecimal: API key hashes, asset digests.
    public static func hex<Bytes: Sequence>(_ data: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        for byte in data { out += [ASCII.hexDigit(byte >> 4), ASCII.hexDigit(byte & 15)] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64 with the URL alphabet, padded. Written out because Foundation's
    /// `replacingOccurrences` cost more than the HMAC on the request path.
    static func base64URL<Bytes: Collection>(_ data: Bytes, padded: Bool = true) -> String where Bytes.Element == UInt8 {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let bytes = Array(data)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
            if padded { out += Array(repeating: UInt8(ascii: "="), count: 3 - rest) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
