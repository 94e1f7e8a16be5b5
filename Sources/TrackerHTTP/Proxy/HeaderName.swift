import TrackerCore

/// The header names the proxy acts on, recognised without lower-casing (no allocation): by length
/// first, then byte by byte ignoring ASCII case. Everything else is `.other` and passes as is.
enum HeaderName: Equatable {
    case other
    /// RFC 9110 §7.6.1: for one connection only, never forwarded.
    case hopByHop
    case connection, upgrade, transferEncoding
    case host, contentLength, contentType
    /// Written by this proxy on every request; a trusted proxy's earlier values are extended.
    case forwardedFor, forwardedProto, forwardedHost, realIP, forwarded, originHost

    static let byLength: [[(String, HeaderName)]] = {
        let all: [(String, HeaderName)] = [
            ("connection", .connection), ("keep-alive", .hopByHop), ("proxy-connection", .hopByHop), ("te", .hopByHop),
            ("trailer", .hopByHop), ("transfer-encoding", .transferEncoding), ("upgrade", .upgrade),
            ("proxy-authenticate", .hopByHop), ("proxy-authorization", .hopByHop),
            ("host", .host), ("content-length", .contentLength), ("content-type", .contentType),
            ("x-forwarded-for", .forwardedFor), ("x-forwarded-proto", .forwardedProto), ("x-forwarded-host", .forwardedHost),
            ("x-real-ip", .realIP), ("forwarded", .forwarded), ("x-origin-host", .originHost),
        ]
        var table = Array(repeating: [(String, HeaderName)](), count: 20)
        for entry in all { table[entry.0.utf8.count].append(entry) }
        return table
    }()

    init(_ name: String) {
        let count = name.utf8.count
        guard count < Self.byLength.count else { self = .other; return }
        for (candidate, kind) in Self.byLength[count] where ASCII.equalsIgnoringCase(name, lowercase: candidate) {
            self = kind
            return
        }
        self = .other
    }

    /// Removed on the way through, both ways.
    var isHopByHop: Bool {
        switch self {
        case .hopByHop, .connection, .upgrade, .transferEncoding: return true
        default: return false
        }
    }

    var isOwn: Bool {
        switch self {
        case .forwardedFor, .forwardedProto, .forwardedHost, .realIP, .forwarded, .originHost: return true
        default: return false
        }
    }
}
