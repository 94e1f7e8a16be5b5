import Foundation
import Logging
import ServiceLifecycle

/// Certificates from PEM files: loaded at start (a bad file stops the start with its reason), then
/// watched; a changed pair is loaded for new handshakes while open connections keep theirs. A pair
/// that fails to load (half-written, key not matching yet) keeps the previous certificate serving.
public final class CertificateFiles: Service, Sendable {
    public struct Pair: Sendable, Equatable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    let pairs: [Pair]
    let store: CertificateStore
    let settings: TLSSettings
    let interval: Duration
    let logger: Logger

    public init(pairs: [Pair], store: CertificateStore, settings: TLSSettings, interval: Duration, logger: Logger) throws {
        self.pairs = pairs
        self.store = store
        self.settings = settings
        self.interval = interval
        self.logger = logger
        for pair in pairs {
            let key = try Self.load(pair, settings: settings)
            store.upsert(pair.certificate, source: "file", names: key.names) { $0.key = key }
        }
    }

    static func load(_ pair: Pair, settings: TLSSettings) throws -> CertifiedKey {
        guard let chain = FileManager.default.contents(atPath: pair.certificate) else {
            throw CertifiedKey.Failure.unreadable("cannot read \(pair.certificate)")
        }
        guard let key = FileManager.default.contents(atPath: pair.key) else {
            throw CertifiedKey.Failure.unreadable("cannot read \(pair.key)")
        }
        return try CertifiedKey(chainPEM: String(decoding: chain, as: UTF8.self), keyPEM: String(decoding: key, as: UTF8.self),
                                settings: settings)
    }

    static func stamp(_ path: String) -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "missing" }
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(date)/\(attributes[.size] as? Int ?? -1)"
    }

    public func run() async throws {
        var seen = pairs.map { Self.stamp($0.certificate) + Self.stamp($0.key) }
        while true {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) } } catch { return }
            for (index, pair) in pairs.enumerated() {
                let now = Self.stamp(pair.certificate) + Self.stamp(pair.key)
                guard now != seen[index] else { continue }
                do {
                    let key = try Self.load(pair, settings: settings)
                    store.upsert(pair.certificate, source: "file", names: key.names) {
                        $0.key = key
                        $0.names = key.names
                        $0.lastError = nil
                    }
                    seen[index] = now
                    logger.notice("reloaded the certificate \(pair.certificate) for \(key.names.joined(separator: ", "))")
                } catch {
                    // Retried at the next check: the other file of the pair may still be on its way.
                    store.update(pair.certificate) {
                        $0.lastError = "\(error)"
                        $0.lastErrorAt = Date()
                    }
                    logger.warning("cannot reload \(pair.certificate): \(error); the previous certificate stays")
                }
            }
        }
    }
}

