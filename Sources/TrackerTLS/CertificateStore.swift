import Foundation
import NIOSSL
import Synchronization

/// Every certificate the TLS listener can serve, chosen per connection by the ClientHello: an exact
/// name first, then a wildcard, then the first certificate configured (clients without SNI). File
/// certificates and ACME ones live here alike; replacing one affects new handshakes only.
public final class CertificateStore: Sendable {
    public struct Entry: Sendable {
        public var id: String
        /// "file" or "acme".
        public var source: String
        /// Names this entry is meant to cover (for ACME, before its first certificate exists).
        public var names: [String]
        public var key: CertifiedKey?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var nextRenewal: Date?
        public var renewing = false
    }

    struct State {
        var entries: [Entry] = []
        var exact: [String: NIOSSLContext] = [:]
        var wildcard: [String: NIOSSLContext] = [:]
        var fallback: NIOSSLContext?
        /// TLS-ALPN-01: validation contexts by name, served only to `acme-tls/1` hellos.
        var challenges: [String: NIOSSLContext] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public static let acmeProtocol = "acme-tls/1"

    public enum Lookup {
        /// A certificate for the name (or the challenge certificate for a validation).
        case covered(NIOSSLContext?)
        /// No certificate names it: the fallback, unless one is obtained on demand.
        case uncovered(name: String?, fallback: NIOSSLContext?)
    }

    /// What to serve a connection; nil contexts close it.
    public func lookup(_ hello: ClientHello) -> Lookup {
        state.withLock { state in
            let name = hello.serverName
            if hello.applicationProtocols.contains(Self.acmeProtocol) {
                // A validation server asks for the challenge certificate, and only for it.
                return .covered(name.flatMap { state.challenges[$0] })
            }
            guard let name else { return .uncovered(name: nil, fallback: state.fallback) }
            if let exact = state.exact[name] { return .covered(exact) }
            if let dot = name.firstIndex(of: "."), let wild = state.wildcard[String(name[name.index(after: dot)...])] { return .covered(wild) }
            return .uncovered(name: name, fallback: state.fallback)
        }
    }

    public func context(for hello: ClientHello) -> NIOSSLContext? {
        switch lookup(hello) {
        case .covered(let context): context
        case .uncovered(_, let fallback): fallback
        }
    }

    /// Adds or replaces the entry with this id, keeping its place (the first one is the fallback).
    public func upsert(_ id: String, source: String, names: [String], _ change: (inout Entry) -> Void = { _ in }) {
        state.withLock { state in
            if let index = state.entries.firstIndex(where: { $0.id == id }) {
                change(&state.entries[index])
            } else {
                var entry = Entry(id: id, source: source, names: names)
                change(&entry)
                state.entries.append(entry)
            }
            Self.reindex(&state)
        }
    }

    public func update(_ id: String, _ change: (inout Entry) -> Void) {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.id == id }) else { return }
            change(&state.entries[index])
            Self.reindex(&state)
        }
    }

    public func entry(_ id: String) -> Entry? {
        state.withLock { state in state.entries.first { $0.id == id } }
    }

    public var entries: [Entry] { state.withLock { $0.entries } }

    public func setChallenge(name: String, context: NIOSSLContext?) {
        state.withLock { $0.challenges[name.lowercased()] = context }
    }

    static func reindex(_ state: inout State) {
        state.exact = [:]
        state.wildcard = [:]
        state.fallback = nil
        for entry in state.entries {
            guard let key = entry.key else { continue }
            if state.fallback == nil { state.fallback = key.context }
            for name in key.names {
                if name.hasPrefix("*.") {
                    if state.wildcard[String(name.dropFirst(2))] == nil { state.wildcard[String(name.dropFirst(2))] = key.context }
                } else if state.exact[name] == nil {
                    state.exact[name] = key.context
                }
            }
        }
    }
}

/// HTTP-01 answers: the key authorization for each pending token, served on the plain port at
/// `/.well-known/acme-challenge/<token>`.
public final class HTTPChallengeResponses: Sendable {
    let tokens = Mutex<[String: String]>([:])

    public init() {}

    public static let pathPrefix = "/.well-known/acme-challenge/"

    public func set(token: String, keyAuthorization: String?) {
        tokens.withLock { $0[token] = keyAuthorization }
    }

    public func response(forPath path: String) -> String? {
        guard path.hasPrefix(Self.pathPrefix) else { return nil }
        let token = String(path.dropFirst(Self.pathPrefix.count))
        return tokens.withLock { $0[token] }
    }
}
