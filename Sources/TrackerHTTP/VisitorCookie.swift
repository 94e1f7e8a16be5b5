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
    public static func canCarry(_ vid: String) -> Bool {
        !vid.isEmpty && vid.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: ",")
                && byte != UInt8(ascii: ";") && byte != UInt8(ascii: "\\")
        }
    }

    public func header(vid: String, requestHost: String, secure: Bool) -> String {
        let suffix = suffix(requestHost: requestHost, secure: secure)
        var vid = vid
        return vid.withUTF8 { id in
            suffix.withUnsafeBufferPointer { suffix in
                String(unsafeUninitializedCapacity: 4 + id.count + suffix.count) { out in
                    let start = out.baseAddress!
                    for (at, byte) in "vid=".utf8.enumerated() { start[at] = byte }
                    if let base = id.baseAddress { (start + 4).initialize(from: base, count: id.count) }
                    if let base = suffix.baseAddress { (start + 4 + id.count).initialize(from: base, count: suffix.count) }
                    return 4 + id.count + suffix.count
                }
            }
        }
    }

    /// The `Set-Cookie` line for this id, written into an answer's head; false (nothing
    /// written) when the id has a byte a header cannot carry (an id the client chose).
    func write(vid: String, requestHost: String, secure: Bool, to writer: inout HeadWriter) -> Bool {
        let suffix = suffix(requestHost: requestHost, secure: secure)
        var vid = vid
        return vid.withUTF8 { id in
            guard HeaderValidation.allValueBytes(id) else { return false }
            suffix.withUnsafeBufferPointer { suffix in
                let lead: StaticString = "set-cookie: vid="
                let count = lead.utf8CodeUnitCount + id.count + suffix.count + 2
                writer.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                    var at = out.baseAddress!
                    at.copyMemory(from: lead.utf8Start, byteCount: lead.utf8CodeUnitCount)
                    at += lead.utf8CodeUnitCount
                    if let base = id.baseAddress { at.copyMemory(from: base, byteCount: id.count) }
                    at += id.count
                    if let base = suffix.baseAddress { at.copyMemory(from: base, byteCount: suffix.count) }
                    at += suffix.count
                    at.storeBytes(of: UInt8(ascii: "\r"), as: UInt8.self)
                    (at + 1).storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self)
                    return count
                }
            }
            return true
        }
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
