import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import TrackerTLS

/// Certificates for names first seen in a TLS handshake (customers' own domains pointed at this
/// server), obtained while that handshake waits, then stored and renewed like the configured
/// ones. Never for any name: each must match the allow-list or be approved by the `ask` URL
/// (`GET ask?domain=name` answering 2xx), and new orders are rate-limited, so a stranger's DNS
/// cannot spend the CA's limits. A refused or failed name is not tried again for a minute.
public final class OnDemandCertificates: Service, Sendable {
    public struct Policy: Sendable {
        /// Exact names or `*.example.com` (any depth below it).
        public var allow: [String] = []
        public var ask: String?
        public var maxPerMinute = 10

        public init(allow: [String] = [], ask: String? = nil, maxPerMinute: Int = 10) {
            self.allow = allow
            self.ask = ask
            self.maxPerMinute = maxPerMinute
        }
    }

    struct State {
        var inFlight: [String: Task<NIOSSLContext?, Never>] = [:]
        var refusedUntil: [String: Date] = [:]
        var recentOrders: [Date] = []
        var managers: [String: ACMEManager] = [:]
        var started: AsyncStream<ACMEManager>.Continuation?
    }

    let template: ACMEManager.Options
    let policy: Policy
    let store: CertificateStore
    let httpChallenges: HTTPChallengeResponses
    let settings: TLSSettings
    let dataDirectory: String
    let logger: Logger
    let state = Mutex(State())
    let stream: AsyncStream<ACMEManager>

    public static let folder = "on-demand"

    public init(template: ACMEManager.Options, policy: Policy, store: CertificateStore, httpChallenges: HTTPChallengeResponses,
                settings: TLSSettings, dataDirectory: String, logger: Logger) {
        var template = template
        template.storageFolder = Self.folder
        template.source = "acme-on-demand"
        self.template = template
        self.policy = policy
        self.store = store
        self.httpChallenges = httpChallenges
        self.settings = settings
        self.dataDirectory = dataDirectory
        self.logger = logger
        let (stream, continuation) = AsyncStream<ACMEManager>.makeStream()
        self.stream = stream
        state.withLock { $0.started = continuation }
        // Certificates obtained before a restart serve at once and keep being renewed.
        for name in ACMEStorage(dataDirectory: dataDirectory, folder: Self.folder).storedNames() {
            let manager = self.manager(for: name)
            state.withLock { $0.managers[name] = manager }
            continuation.yield(manager)
        }
    }

    func manager(for name: String) -> ACMEManager {
        var options = template
        options.names = [name]
        return ACMEManager(options: options, store: store, httpChallenges: httpChallenges, settings: settings,
                           dataDirectory: dataDirectory, logger: logger)
    }

    /// The context for `name`, obtained now if the policy allows; nil closes the handshake (or
    /// serves the fallback certificate).
    public func certificate(for name: String) async -> NIOSSLContext? {
        let name = name.lowercased()
        if case .covered(let served?) = store.lookup(ClientHello(serverName: name, applicationProtocols: [])) { return served }
        let task: Task<NIOSSLContext?, Never> = state.withLock { state in
            if let running = state.inFlight[name] { return running }
            let task = Task { await self.obtain(name) }
            state.inFlight[name] = task
            return task
        }
        let context = await task.value
        _ = state.withLock { $0.inFlight.removeValue(forKey: name) }
        return context
    }

    func obtain(_ name: String) async -> NIOSSLContext? {
        let now = Date()
        let refused: Bool = state.withLock { state in
            if let until = state.refusedUntil[name], until > now { return true }
            state.refusedUntil[name] = nil
            return false
        }
        guard !refused else { return nil }
        guard Self.isHostName(name), await allowed(name) else {
            logger.notice("no certificate on demand for \(name): not allowed")
            return refuse(name)
        }
        let admitted: Bool = state.withLock { state in
            state.recentOrders.removeAll { now.timeIntervalSince($0) > 60 }
            guard state.recentOrders.count < policy.maxPerMinute else { return false }
            state.recentOrders.append(now)
            return true
        }
        guard admitted else {
            logger.warning("no certificate on demand for \(name): more than \(policy.maxPerMinute) orders in a minute")
            return nil
        }
        let manager = self.manager(for: name)
        do {
            let key = try await manager.issueNow()
            logger.notice("obtained a certificate on demand for \(name)")
            let continuation: AsyncStream<ACMEManager>.Continuation? = state.withLock { state in
                state.managers[name] = manager
                return state.started
            }
            continuation?.yield(manager)
            return key.context
        } catch {
            logger.error("cannot obtain a certificate on demand for \(name): \(error)")
            return refuse(name)
        }
    }

    func refuse(_ name: String) -> NIOSSLContext? {
        state.withLock { $0.refusedUntil[name] = Date().addingTimeInterval(60) }
        return nil
    }

    func allowed(_ name: String) async -> Bool {
        if policy.allow.contains(where: { Self.matches(pattern: $0, name: name) }) { return true }
        guard let ask = policy.ask else { return false }
        let separator = ask.contains("?") ? "&" : "?"
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: ".-"))) ?? name
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: ask + separator + "domain=" + encoded),
                                                               timeout: .seconds(5))
            return (200..<300).contains(Int(response.status.code))
        } catch {
            logger.warning("the on-demand ask URL failed for \(name): \(error)")
            return false
        }
    }

    static func matches(pattern: String, name: String) -> Bool {
        if pattern.hasPrefix("*.") { return name.hasSuffix(String(pattern.dropFirst())) }
        return pattern == name
    }

    static func isHostName(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && !name.allSatisfy { $0.isNumber || $0 == "." } && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }

    /// Renews every certificate obtained on demand, each in its own loop.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for await manager in stream.cancelOnGracefulShutdown() {
                group.addTask { try? await manager.run() }
            }
            group.cancelAll()
        }
    }
}
