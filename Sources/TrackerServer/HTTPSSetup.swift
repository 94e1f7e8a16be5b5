import Foundation
import Logging
import ServiceLifecycle
import TrackerACME
import TrackerConfig
import TrackerHTTP
import TrackerTLS

/// The `TLS` section made real: the certificate store (file pairs loaded now, so a bad file stops
/// the start with its reason), the ACME managers, the HTTPS listener's options.
struct HTTPSSetup {
    let store = CertificateStore()
    let challenges = HTTPChallengeResponses()
    let settings: TLSSettings
    let listener: TLSListener
    let configuration: HTTPSConfiguration
    let files: CertificateFiles?
    let dataDirectory: String
    let logger: Logger

    init(configuration: HTTPSConfiguration, dataDirectory: String, logger: Logger) throws {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        self.logger = logger
        settings = TLSSettings(minimumVersion: configuration.minimumVersion == "1.3" ? .tlsv13 : .tlsv12, http2: configuration.http2)
        listener = TLSListener(store: store, settings: settings, hsts: configuration.hsts)
        let pairs = configuration.certificates.map { CertificateFiles.Pair(certificate: $0.certificate, key: $0.key) }
        files = pairs.isEmpty ? nil : try CertificateFiles(
            pairs: pairs, store: store, settings: settings,
            interval: .milliseconds(Int64(configuration.reloadIntervalSeconds * 1000)), logger: logger)
    }

    /// The services that keep certificates current; ACME starts once the listeners are up, since
    /// its validations come to them.
    func services(listening: @escaping @Sendable () async -> Void) -> [any Service] {
        var services: [any Service] = files.map { [$0] } ?? []
        if let acme = configuration.acme {
            var options = ACMEManager.Options(directoryURL: acme.directoryURL, caRoot: acme.caRoot, email: acme.email, names: acme.domains)
            options.challengeTypes = acme.challenges
            options.renewAfter = acme.renewAfter
            options.retryBase = acme.retrySeconds
            services.append(ACMEManager(options: options, store: store, httpChallenges: challenges, settings: settings,
                                        dataDirectory: dataDirectory, listening: listening, logger: logger))
        }
        return services
    }
}
