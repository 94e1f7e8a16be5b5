import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import TrackerACME
import TrackerConfig
import TrackerHTTP
import TrackerTLS

/// The `TLS` section made real: the certificate store (file pairs loaded now, so a bad file stops
/// the start with its reason), the ACME managers, the HTTPS listener's options.
struct HTTPSSetup {
    let store: CertificateStore
    let challenges: HTTPChallengeResponses
    let settings: TLSSettings
    let listener: TLSListener
    let onDemand: OnDemandCertificates?
    let configuration: HTTPSConfiguration
    let files: CertificateFiles?
    let dataDirectory: String
    let logger: Logger

    init(configuration: HTTPSConfiguration, dataDirectory: String, logger: Logger) throws {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        let store = CertificateStore(), challenges = HTTPChallengeResponses()
        self.store = store
        self.challenges = challenges
        self.logger = logger
        let settings = TLSSettings(minimumVersion: configuration.minimumVersion == "1.3" ? .tlsv13 : .tlsv12, http2: configuration.http2)
        self.settings = settings
        let onDemand = configuration.acme.flatMap { [logger] acme in
            acme.onDemand.map { policy in
                OnDemandCertificates(
                    template: Self.options(acme, names: []),
                    policy: .init(allow: policy.allow, ask: policy.ask, maxPerMinute: policy.maxPerMinute),
                    store: store, httpChallenges: challenges, settings: settings, dataDirectory: dataDirectory, logger: logger)
            }
        }
        self.onDemand = onDemand
        var obtain: (@Sendable (String) async -> NIOSSLContext?)?
        if let onDemand { obtain = { name in await onDemand.certificate(for: name) } }
        listener = TLSListener(store: store, settings: settings, hsts: configuration.hsts, onDemand: obtain)
        let pairs = configuration.certificates.map { CertificateFiles.Pair(certificate: $0.certificate, key: $0.key) }
        files = pairs.isEmpty ? nil : try CertificateFiles(
            pairs: pairs, store: store, settings: settings,
            interval: .milliseconds(Int64(configuration.reloadIntervalSeconds * 1000)), logger: logger)
    }

    /// The services that keep certificates current; ACME starts once the listeners are up, since
    /// its validations come to them.
    func services(listening: @escaping @Sendable () async -> Void) -> [any Service] {
        var services: [any Service] = files.map { [$0] } ?? []
        if let acme = configuration.acme, !acme.domains.isEmpty {
            services.append(ACMEManager(options: Self.options(acme, names: acme.domains), store: store, httpChallenges: challenges,
                                        settings: settings, dataDirectory: dataDirectory, listening: listening, logger: logger))
        }
        if let onDemand { services.append(onDemand) }
        return services
    }

    static func options(_ acme: HTTPSConfiguration.ACME, names: [String]) -> ACMEManager.Options {
        var options = ACMEManager.Options(directoryURL: acme.directoryURL, caRoot: acme.caRoot, email: acme.email, names: names)
        options.challengeTypes = acme.challenges
        options.renewAfter = acme.renewAfter
        options.retryBase = acme.retrySeconds
        return options
    }
}
