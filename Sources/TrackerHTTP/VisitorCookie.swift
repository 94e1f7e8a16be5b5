import Synchronization
import TrackerCore

/// The `vid` cookie: long-lived, `SameSite=Lax`, `Secure` on HTTPS, on the registrable domain of the
/// tracker's host so every subdomain shares it. Not HttpOnly: the browser tracker reads it.
public final class VisitorCookie: Sendable {
    public let maxAgeSeconds: Int
    public let domain: String?
    /// What follows the id in the cookie, by request host: attributes, `Domain` and `Secure`, as
    /// bytes. A tracker serves few hosts, and the Public Suffix lookup is not free; nor was
    /// building the value piece by piece for every new visitor (a lock and a cache lookup, five
    /// appends: a seventh of the pixel answer's cost on its thread).
    let suffixes = Mutex<[HostKey: [UInt8]]>([:])

    struct HostKey: Hashable {
        let host: String
        let secure: Bool
    }

    /// What follows the id in every cookie, whatever the host.
    let attributes: String

    public init(maxAgeSeconds: Int, domain: String?) {
        self.maxAgeSeconds = maxAgeSeconds
        self.domain = domain
        attributes = "; Path=/; Max-Age=\(maxAgeSeconds); SameSite=Lax"
    }

    /// Whether a visitor id can be a cookie's value as it is (RFC 6265 cookie-octets). An id the
    /// client chose may not: with a `;` it would add attributes of its choosing (`Domain=`...),
    /// with a control character it would break the answer. Such an id is stored, not set.
    /// Read on the string's own bytes (its UTF-8 view, walked byte by byte, showed in the pixel's profile).
    public static func canCarry(_ vid: String) -> Bool {
        var vid = vid
        return vid.withUTF8 { bytes in
            !bytes.isEmpty && bytes.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: ",")
                    && byte != UInt8(ascii: ";") && byte != UInt8(ascii: "\\")
            }
        }
    }

    public func header(vid: String, requestHost: String, secure: Bool) -> String {
        let suffix = suffix(requestHost: requestHost, secure: secure)
        var vid = vid
        return vid.withUTF8 { id in
            String(unsafeUninitializedCapacity: Self.valueCount(id, suffix)) { out in
                Self.writeValue(id, suffix, to: UnsafeMutableRawPointer(out.baseAddress!))
            }
        }
    }

    /// The `Set-Cookie` line for this id, written into an answer's head (the id is one that
    /// `canCarry`: `TrackingAnswer.CookieSetting` holds no other).
    func write(vid: String, requestHost: String, secure: Bool, to writer: inout HeadWriter) {
        let suffix = suffix(requestHost: requestHost, secure: secure)
        var vid = vid
        vid.withUTF8 { id in
            let name: StaticString = "set-cookie: "
            let count = name.utf8CodeUnitCount + Self.valueCount(id, suffix) + 2
            writer.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                let start = out.baseAddress!
                start.copyMemory(from: name.utf8Start, byteCount: name.utf8CodeUnitCount)
                let end = name.utf8CodeUnitCount + Self.writeValue(id, suffix, to: start + name.utf8CodeUnitCount)
                start.storeBytes(of: UInt8(ascii: "\r"), toByteOffset: end, as: UInt8.self)
                start.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: end + 1, as: UInt8.self)
                return count
            }
        }
    }

    /// `vid=`, the id and the suffix: the cookie's value, made in one place for both ways.
    static func valueCount(_ id: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8]) -> Int { 4 + id.count + suffix.count }

    /// Writes the value at `out`, which has room for `valueCount` bytes; returns that count.
    static func writeValue(_ id: UnsafeBufferPointer<UInt8>, _ suffix: [UInt8], to out: UnsafeMutableRawPointer) -> Int {
        let lead: StaticString = "vid="
        out.copyMemory(from: lead.utf8Start, byteCount: 4)
        if let base = id.baseAddress { (out + 4).copyMemory(from: base, byteCount: id.count) }
        suffix.withUnsafeBytes { suffix in
            if let base = suffix.baseAddress { (out + 4 + id.count).copyMemory(from: base, byteCount: suffix.count) }
        }
        return valueCount(id, suffix)
    }

    /// What follows the id for this host: cached, else made and remembered.
    func suffix(requestHost: String, secure: Bool) -> [UInt8] {
        let key = HostKey(host: requestHost, secure: secure)
        return suffixes.withLock { $0[key] } ?? remember(key)
    }

    func remember(_ key: HostKey) -> [UInt8] {
        var suffix = attributes
        if let domain = domain ?? PublicSuffix.shared.registrableDomain(key.host) {
            suffix += "; Domain="
            suffix += domain
        }
        if key.secure { suffix += "; Secure" }
        let bytes = Array(suffix.utf8)
        suffixes.withLock { cache in
            if cache.count >= 1024 { cache.removeAll(keepingCapacity: true) }
            cache[key] = bytes
        }
        return bytes
    }
}
