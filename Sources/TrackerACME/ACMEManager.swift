import Foundation
import Logging
import ServiceLifecycle
import TrackerTLS

/// Keeps one certificate for a set of names obtained and fresh: loads the stored one at start,
/// orders a new one when there is none or two thirds of its lifetime have passed, retries failures
/// with a jittered exponential backoff, and keeps serving the current certificate meanwhile. Its
/// state (next renewal, last error) is in the certificate store, which `/health` shows.
public final class ACMEManager: Service, Sendable {
    public struct Options: Sendable {
        public var directoryURL: String
        /// A PEM root trusted for the CA's own HTTPS (a private CA, Pebble); nil: the system's.
        public var caRoot: String?
        public var email: String?
        public var names: [String]
        /// Preferred first; only those the CA offers are used.
        public var challengeTypes: [String] = ["http-01", "tls-alpn-01"]
        /// The part of a certificate's lifetime after which it is renewed.
        public var renewAfter = 2.0 / 3.0
        /// The first retry after a failure; doubled up to `retryMax`.
        public var retryBase = 60.0
        public var retryMax = 6 * 3600.0
        public var pollInterval = 1.0
        /// A folder of the certificate store for these certificates (on-demand ones keep apart).
        public var storageFolder: String?
        /// How `/health` names where the certificate comes from.
        public var source = "acme"

        public init(directoryURL: String, caRoot: String? = nil, email: String?, names: [String]) {
            self.directoryURL = directoryURL
            self.caRoot = caRoot
            self.email = email
            self.names = names
        }
    }

    public let options: Options
    let store: CertificateStore
    let httpChallenges: HTTPChallengeResponses
    let settings: TLSSettings
    let storage: ACMEStorage
    let now: @Sendable () -> Date
    /// A number in [0, 1): spreads renewals and retries of many nodes over time.
    let jitter: @Sendable () -> Double
    /// Returns once the listeners that answer challenges are up.
    let listening: @Sendable () async -> Void
    let logger: Logger

    public var id: String { "acme:" + options.names.joined(separator: ",") }

    public init(options: Options, store: CertificateStore, httpChallenges: HTTPChallengeResponses, settings: TLSSettings,
                dataDirectory: String, now: @escaping @Sendable () -> Date = Date.init,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                listening: @escaping @Sendable () async -> Void = {}, logger: Logger) {
        self.options = options
        self.store = store
        self.httpChallenges = httpChallenges
        self.settings = settings
        self.storage = ACMEStorage(dataDirectory: dataDirectory, folder: options.storageFolder)
        self.now = now
        self.jitter = jitter
        self.listening = listening
        self.logger = logger
        store.upsert(id, source: options.source, names: options.names)
        loadStored()
    }

    /// A stored certificate serves at once, even when it is due for renewal or the CA is down.
    func loadStored() {
        guard let stored = storage.loadCertificate(names: options.names) else { return }
        do {
            let key = try CertifiedKey(chainPEM: stored.chainPEM, keyPEM: stored.keyPEM, settings: settings)
            store.update(id) { $0.key = key }
        } catch {
            logger.warning("the stored certificate for \(options.names.joined(separator: ", ")) is unusable: \(error)")
        }
    }

    /// When the current certificate should be replaced: at `renewAfter` of its lifetime, up to 5 %
    /// of the lifetime earlier by jitter; now when there is none or it does not cover every name.
    public func renewalDate(for key: CertifiedKey?) -> Date {
        guard let key, options.names.allSatisfy(key.covers) else { return now() }
        let lifetime = key.notAfter.timeIntervalSince(key.notBefore)
        return key.notBefore.addingTimeInterval(lifetime * (options.renewAfter - 0.05 * jitter()))
    }

    public func retryDelay(failures: Int) -> Double {
        let exponential = options.retryBase * pow(2, Double(max(failures - 1, 0)))
        return min(exponential, options.retryMax) * (0.75 + 0.5 * jitter())
    }

    public func run() async throws {
        await listening()
        var failures = 0
        var next = renewalDate(for: store.entry(id)?.key)
        while true {
            store.update(id) { $0.nextRenewal = next }
            let wait = next.timeIntervalSince(now())
            if wait > 0 {
                // Woken at least hourly: a suspended machine's clock may have jumped.
                let nap = min(wait, 3600)
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(nap * 1000))) } } catch { return }
                if now() < next { continue }
            }
            store.update(id) { $0.renewing = true }
            do {
                let key = try await issue()
                failures = 0
                store.update(id) {
                    $0.key = key
                    $0.renewing = false
                    $0.lastError = nil
                }
                next = renewalDate(for: key)
                logger.notice("obtained a certificate for \(options.names.joined(separator: ", ")), valid until \(key.notAfter)")
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                failures += 1
                next = now().addingTimeInterval(retryDelay(failures: failures))
                let message = "\(error)"
                store.update(id) {
                    $0.renewing = false
                    $0.lastError = message
                    $0.lastErrorAt = Date()
                }
                logger.error("cannot obtain a certificate for \(options.names.joined(separator: ", ")) (attempt \(failures)): \(message); next try at \(next)")
            }
        }
    }

    /// Orders a certificate now and serves it (a name seen in a handshake, on demand).
    public func issueNow() async throws -> CertifiedKey {
        store.update(id) { $0.renewing = true }
        do {
            let key = try await issue()
            store.update(id) {
                $0.key = key
                $0.renewing = false
                $0.lastError = nil
            }
            return key
        } catch {
            let message = "\(error)"
            store.update(id) {
                $0.renewing = false
                $0.lastError = message
                $0.lastErrorAt = Date()
            }
            throw error
        }
    }

    /// One order, from account to stored certificate.
    func issue() async throws -> CertifiedKey {
        var (accountKey, accountURL) = try storage.loadAccount(directoryURL: options.directoryURL, contact: options.email)
        if accountURL == nil {
            await AccountRegistration.shared.acquire()
            do {
                // Another order may have registered the account while this one waited.
                (accountKey, accountURL) = try storage.loadAccount(directoryURL: options.directoryURL, contact: options.email)
                let key = try await order(accountKey: accountKey, accountURL: accountURL)
                await AccountRegistration.shared.release()
                return key
            } catch {
                await AccountRegistration.shared.release()
                throw error
            }
        }
        return try await order(accountKey: accountKey, accountURL: accountURL)
    }

    func order(accountKey: AccountKey, accountURL: String?) async throws -> CertifiedKey {
        let transport = try ACMETransport(key: accountKey, caRoot: options.caRoot)
        defer { Task { await transport.shutdown() } }
        let client = ACMEClient(transport: transport, key: accountKey)
        let store = self.store, httpChallenges = self.httpChallenges
        let issued = try await client.obtain(
            directoryURL: options.directoryURL, names: options.names, contact: options.email,
            challengeTypes: options.challengeTypes, accountURL: accountURL, pollInterval: options.pollInterval,
            provision: { task in
                switch task.type {
                case "http-01": httpChallenges.set(token: task.token, keyAuthorization: task.keyAuthorization)
                default: store.setChallenge(name: task.domain, context: try CertificateRequest.tlsALPNContext(
                    domain: task.domain, keyAuthorization: task.keyAuthorization))
                }
            },
            withdraw: { task in
                switch task.type {
                case "http-01": httpChallenges.set(token: task.token, keyAuthorization: nil)
                default: store.setChallenge(name: task.domain, context: nil)
                }
            })
        if accountURL != issued.accountURL {
            try storage.saveAccount(directoryURL: options.directoryURL, contact: options.email, key: accountKey, url: issued.accountURL)
        }
        let key = try CertifiedKey(chainPEM: issued.chainPEM, keyPEM: issued.keyPEM, settings: settings)
        try storage.saveCertificate(names: options.names, chainPEM: issued.chainPEM, keyPEM: issued.keyPEM)
        return key
    }
}
