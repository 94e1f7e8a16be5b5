import Foundation

/// How a connection finds, authenticates to and stays with its servers.
public struct NATSOptions: Sendable {
    /// `nats://host:port` (or `tls://`), tried in turn; servers announced in INFO are added.
    public var servers: [String]
    public var name = "tracker"
    public var user: String?
    public var password: String?
    public var token: String?
    /// TLS to the servers: a CA file to trust, and a client certificate and key when the server asks.
    public var tlsCAFile: String?
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Force TLS even for `nats://` URLs (a server with `tls_required` gets TLS anyway).
    public var tlsRequired = false
    /// The first wait before reconnecting; doubled per failed round up to `maxReconnectWait`, ±25 % jitter.
    public var reconnectWait = 0.25
    public var maxReconnectWait = 5.0
    /// Rounds over all servers before giving up; nil retries forever.
    public var maxReconnectAttempts: Int?
    public var connectTimeout = 2.0
    /// Keep-alive: a PING after this much quiet; the connection is dead after `maxPingsOut` unanswered.
    public var pingInterval = 30.0
    public var maxPingsOut = 2
    /// Publishes held while disconnected (and not yet written while connected), in bytes; past it
    /// `publish` throws `NATSError.bufferFull`.
    public var pendingBytesLimit = 8 << 20
    /// Messages a subscription holds for a slow reader; past it new ones are dropped and counted.
    public var subscriptionCapacity = 65_536

    public init(servers: [String]) {
        self.servers = servers
    }
}

public enum NATSError: Error, Equatable, CustomStringConvertible {
    case noServers
    case connectFailed(String)
    case server(String)
    case closed
    case bufferFull(limit: Int)
    case payloadTooLarge(size: Int, max: Int)
    case invalidSubject(String)
    case timeout
    case noResponders(String)

    public var description: String {
        switch self {
        case .noServers: "no NATS server URL given"
        case .connectFailed(let why): "cannot connect to NATS: \(why)"
        case .server(let message): "the NATS server says: \(message)"
        case .closed: "the NATS connection is closed"
        case .bufferFull(let limit): "more than \(limit) bytes are waiting to reach NATS (disconnected or too slow)"
        case .payloadTooLarge(let size, let max): "a \(size)-byte message is over the server's max_payload of \(max)"
        case .invalidSubject(let subject): "not a valid NATS subject: \(subject)"
        case .timeout: "no answer in time"
        case .noResponders(let subject): "no one listens on \(subject)"
        }
    }
}

/// The parts of INFO this client uses.
struct ServerInfo: Decodable, Sendable {
    var server_name: String?
    var version: String?
    var max_payload: Int?
    var headers: Bool?
    var connect_urls: [String]?
    var ldm: Bool?
    var tls_required: Bool?
    var jetstream: Bool?
}

/// One server of the pool.
struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var tls: Bool
    var user: String?
    var password: String?

    init?(_ url: String) {
        var text = url
        var tls = false
        if let range = text.range(of: "://") {
            let scheme = text[..<range.lowerBound].lowercased()
            guard ["nats", "tls", "ws"].contains(scheme) || scheme.isEmpty else { return nil }
            tls = scheme == "tls"
            text = String(text[range.upperBound...])
        }
        if let at = text.lastIndex(of: "@") {
            let credentials = text[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncoding
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding
            } else {
                user = String(credentials).removingPercentEncoding
            }
            text = String(text[text.index(after: at)...])
        }
        if let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            port = rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? 4222 : 4222
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard let number = Int(text[text.index(after: colon)...]) else { return nil }
            port = number
        } else {
            host = text
            port = 4222
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        self.tls = tls
    }

    var description: String { "\(host):\(port)" }
}
