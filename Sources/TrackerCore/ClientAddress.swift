import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `::1/128`.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    public let address: [UInt8]
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = ClientAddress.bytes(String(first)) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        self.address = address
    }

    public func contains(_ candidate: [UInt8]) -> Bool {
        guard candidate.count == address.count else { return false }
        var remaining = prefix
        for i in 0..<address.count where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if candidate[i] & mask != address[i] & mask { return false }
            remaining -= 8
        }
        return true
    }

    public var description: String { "\(ClientAddress.text(address) ?? "?")/\(prefix)" }
}

/// Decides the client's address. `X-Forwarded-For` is believed only when the peer is a configured
/// trusted proxy, walking the chain from the right past trusted hops (upstream trusted anyone, §18.11).
public struct ClientAddress: Sendable {
    public let trustedProxies: [IPNetwork]

    public init(trustedProxies: [IPNetwork]) {
        self.trustedProxies = trustedProxies
    }

    public func resolve(peer: String?, forwardedFor: [String]) -> String? {
        // The common case, a direct IPv4 peer and no proxies to trust, needs no parsing.
        if trustedProxies.isEmpty, let peer, !peer.utf8.contains(UInt8(ascii: ":")) { return peer }
        guard let peer, let peerBytes = Self.bytes(peer) else { return peer }
        guard isTrusted(peerBytes) else { return Self.text(peerBytes) }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { ASCII.trimmed(String($0)) }
        var client = peerBytes
        for hop in hops.reversed() {
            guard let bytes = Self.bytes(Self.stripPort(hop)) else { break }
            client = bytes
            if !isTrusted(bytes) { break }
        }
        return Self.text(client)
    }

    /// The `for=` addresses of a standard `Forwarded` header (RFC 7239), in order, as
    /// `X-Forwarded-For` would list them: `for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`.
    public static func forwardedFor(_ headers: [String]) -> [String] {
        headers.flatMap { $0.split(separator: ",") }.compactMap { element in
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, ASCII.trimmed(String(parts[0])).lowercased() == "for" else { continue }
                var value = ASCII.trimmed(String(parts[1]))
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value
            }
            return nil
        }
    }

    func isTrusted(_ bytes: [UInt8]) -> Bool {
        trustedProxies.contains { $0.contains(bytes) }
    }

    static func stripPort(_ hop: String) -> String {
        if hop.hasPrefix("["), let end = hop.firstIndex(of: "]") {
            return String(hop[hop.index(after: hop.startIndex)..<end])
        }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") {
            return String(hop[..<colon])
        }
        return hop
    }

    public static func isIPLiteral(_ text: String) -> Bool {
        bytes(text.hasPrefix("[") ? String(text.dropFirst().dropLast()) : text) != nil
    }

    /// 4 or 16 bytes; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4.
    public static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let b = withUnsafeBytes(of: &v6) { Array($0) }
            if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return Array(b[12..<16]) }
            return b
        }
        return nil
    }

    /// Canonical text of 4 or 16 address bytes.
    public static func text(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
