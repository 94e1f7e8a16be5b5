import Crypto
import TrackerCore

/// `vid` and `sid` are `uuid` columns (16 bytes in the row instead of 37 as text: a fifth of each
/// row). Clients may send any identifier, so a value that is not a canonical (lowercase,
/// hyphenated) UUID is stored as `md5(value)::uuid`, the same derivation migration 6 applied to
/// rows stored before, with the value itself in `vid_text` / `sid_text`. Counting distinct `vid`
/// stays correct either way; reading back gives the value sent.
enum PostgresIdentity {
    /// The uuid to store for `value`, and the text to keep beside it (nil when the uuid is the value).
    static func split(_ value: String) -> (uuid: String, text: String?) {
        if isCanonical(value) { return (value, nil) }
        let hex = Array(Hashing.hex(Insecure.MD5.hash(data: Array(value.utf8))).utf8)
        let uuid = String(decoding: hex[0..<8], as: UTF8.self) + "-" + String(decoding: hex[8..<12], as: UTF8.self) + "-"
            + String(decoding: hex[12..<16], as: UTF8.self) + "-" + String(decoding: hex[16..<20], as: UTF8.self) + "-"
            + String(decoding: hex[20..<32], as: UTF8.self)
        return (uuid, value)
    }

    /// What PostgreSQL prints for a uuid: 8-4-4-4-12 lowercase hex digits.
    static func isCanonical(_ value: String) -> Bool {
        var count = 0
        for byte in value.utf8 {
            let hyphen = count == 8 || count == 13 || count == 18 || count == 23
            if hyphen {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                else { return false }
            }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }

    /// The column holding the text of an identity that is not a canonical UUID (nil: not a uuid column).
    static func textColumn(_ field: EventField) -> String? {
        switch field {
        case .vid: "vid_text"
        case .sid: "sid_text"
        default: nil
        }
    }
}
