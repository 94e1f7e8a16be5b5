import Crypto
import Foundation

/// A visitor counted without any identifier stored in the browser (Do-Not-Track, Global Privacy
/// Control, or no consent): the id is a keyed hash of the site, the address and the browser, with
/// the UTC day in the key input so the same person cannot be followed from one day to the next, and
/// the secret key makes it impossible to recompute the id from an address (Plausible's scheme).
public enum CookielessVisitor {
    /// A UUID-shaped id (version 8, "custom") so it fits every store's `vid` column.
    public static func id(key: IPHashKey, at date: Date, site: String, clientIP: String?, userAgent: String?) -> String {
        let day = Int(date.timeIntervalSince1970 / 86_400)
        var mac = key.keyed
        mac.update(data: Array("\(day)|\(site)|\(clientIP ?? "")|\(userAgent ?? "")".utf8))
        var bytes = Array(mac.finalize()).prefix(16).map { $0 }
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return TimeUUID.text(uuid)
    }

    /// The client asked for it in the event itself (`"cookieless": true`), as the browser tracker
    /// does when consent is required and missing.
    static func requested(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(let flag)?: return flag
        case .number(let n)?: return n != 0
        case .string(let s)?: return ["1", "true", "yes"].contains(s.lowercased())
        default: return false
        }
    }
}
