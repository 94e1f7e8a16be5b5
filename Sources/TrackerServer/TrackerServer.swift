import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TrackerClickHouse
import TrackerConfig
import TrackerCore
import TrackerHTTP
import TrackerPostgres
import TrackerSQLite
import TrackerStorage
import TrackerNATS
import TrackerTLS

/// The composition root: configuration in, running services out. The only place that names the
/// concrete store.
public final class TrackerServer: Sendable {
    public let configuration: TrackerConfiguration
    public let store: any EventStore
    public let ingest: IngestQueue
    public let application: TrackerApplication
    public let http: HTTPServer
    /// The HTTPS listener, when `TLS` is configured.
    public let https: HTTPServer?
    public let certificates: CertificateStore?
    let fileThreads: NIOThreadPool
    let logger: Logger
    let group: ServiceGroup

    public static let version = "0.1.0"

    public init(configuration: TrackerConfiguration, logger: Logger = Logger(label: "tracker"),
                clock: any TrackerClock = SystemClock(), installSignalHandlers: Bool = true) async throws {
        self.configuration = configuration
        self.logger = logger
        let data = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let secrets = try DataSecrets.loadOrCreate(directory: data)
        let since = clock.now().addingTimeInterval(-configuration.sessionTimeoutSeconds)
        let role = configuration.nats?.role ?? "all"
        // An ingest node writes nothing itself: JetStream is its ack point (below).
        let backend = role == "ingest"
            ? Backend(store: MemoryEventStore(), ingestSink: MemoryEventStore(), name: "jetstream", sessions: [], services: [], deliveries: [])
            : try await Self.openStore(configuration, sessionsSince: since, logger: logger)
        store = backend.store

        let sessions = SessionTracker(timeout: configuration.sessionTimeoutSeconds)
        for seed in backend.sessions {
            sessions.seed(site: seed.site, vid: seed.vid, sid: seed.sid, lastSeen: seed.lastSeen)
        }
        let pipeline = EventPipeline(
            configuration: PipelineConfiguration(
                privateHashSalt: configuration.prefixPrivateHash ?? secrets.privateHashSalt,
                ipHashKey: IPHashKey(bytes: configuration.ipHashSecret.map { Array(SHA256.hash(data: Array($0.utf8))) }
                    ?? secrets.ipHashKey),
                storeRawIP: configuration.storeRawIP,
                urlCleaner: URLCleaner(filter: configuration.urlFilter, matchGroup: configuration.urlFilterMatchGroup),
                accountHashMixer: configuration.accountHashMixer, requireConsent: configuration.requireConsent),
            sessions: sessions, clock: clock)

        let bus = try configuration.nats.map {
            try NATSSetup(configuration: $0, messageStore: role == "ingest" ? nil : backend.store as? any ServerMessageStore,
                          eventStore: backend.store, clock: clock, logger: logger)
        }
        let ackPoint: any EventSink = bus.map { bus in
            role == "ingest" ? bus.ingestSink : PublishingSink.wrap(backend.ingestSink, publisher: bus.publisher)
        } ?? backend.ingestSink
        ingest = IngestQueue(sink: ackPoint, sinkName: backend.name, maxPendingEvents: configuration.ingestQueueCapacity,
                             commitDelay: .nanoseconds(Int64(configuration.commitDelaySeconds * 1e9)),
                             storageNice: configuration.storageNice, logger: logger)
        // An ingest node keeps no tables of its own: links need the writer nodes' store.
        let linkStore = role == "ingest" ? nil : try Self.linkStore(configuration, events: backend.store)
        fileThreads = NIOThreadPool(numberOfThreads: 2)
        fileThreads.start()
        let settings = Self.httpSettings(configuration)
        let tls = try configuration.tls.map { try HTTPSSetup(configuration: $0, dataDirectory: data, logger: logger) }
        certificates = tls?.store
        application = TrackerApplication(
            settings: settings,
            limits: HitLimits(maxFields: configuration.maxFields, maxValueLength: configuration.maxValueLength,
                              maxBatchEvents: configuration.maxBatchEvents,
                              ignoreQueryParamsKey: configuration.ignoreQueryParamsKey),
            pipeline: pipeline, ingest: ingest, deliveries: backend.deliveries,
            files: StaticFileServer(pool: fileThreads, cache: FileCache(capacityBytes: configuration.fileCacheBytes)),
            publicRoot: SiteRoot(hosts: ["*"], root: configuration.staticDirectory, options: FileServingOptions()),
            sites: configuration.sites.map(Self.siteRoot),
            proxies: ProxyTable(try configuration.routes.map(ProxyRoute.init)),
            httpChallenges: tls?.challenges, certificates: tls?.store,
            statusSections: bus?.statusSections ?? [:],
            shortLinks: linkStore.map { ShortLinks(store: $0, hosts: configuration.shortLinkHosts,
                                                   cacheSeconds: configuration.shortLinkCacheSeconds, logger: logger) },
            logger: logger)
        let drops = application.drops
        let accessLog = try configuration.accessLog.map {
            try AccessLog(path: $0.path, format: AccessLog.Format(rawValue: $0.format) ?? .combined)
        }
        let application = self.application
        let listener = { (host: String, port: Int, responder: any HTTPResponder, tls: TLSListener?) in
            HTTPServer(host: host, port: port, responder: responder,
                       maxBodyBytes: configuration.maxBodyBytes, idleTimeoutSeconds: configuration.idleTimeoutSeconds,
                       group: MultiThreadedEventLoopGroup.singleton, limiter: application.limiter,
                       onOversize: { drops.count(.bodyTooLarge) }, accessLog: accessLog,
                       headerTimeoutSeconds: configuration.requestHeaderTimeoutSeconds,
                       maxHeaderBytes: configuration.maxHeaderBytes, tls: tls, directLanes: configuration.directHTTP,
                       logger: logger)
        }
        let https = tls.map { listener($0.configuration.listenHost, $0.configuration.listenPort, application, $0.listener) }
        self.https = https
        // With HTTPS on, the plain port redirects (or, told not to, serves as before); ACME's
        // HTTP-01 validations are answered on it either way.
        let plainResponder: any HTTPResponder = tls.flatMap { tls -> (any HTTPResponder)? in
            guard tls.configuration.redirectHTTP else { return nil }
            let configured = tls.configuration.publicPort
            return HTTPSRedirect(challenges: tls.challenges, port: { configured != 0 ? configured : https?.currentPort ?? 443 })
        } ?? application
        http = listener(configuration.listenHost, configuration.listenPort, plainResponder, nil)
        let listeners: [HTTPServer] = [http] + (https.map { [$0] } ?? [])
        let certificateServices = tls?.services { for listener in listeners { _ = try? await listener.boundPort() } } ?? []
        // Services stop in reverse order: the listener first, then the queue drains into the store,
        // then the store's own services (the last SQLite checkpoint, the PostgreSQL pool).
        let logFlusher: [any Service] = accessLog.map {
            [AccessLogService(log: $0, reopenOnHangup: installSignalHandlers, logger: logger)]
        } ?? []
        // A service that stops (a listener whose port is taken, say) shuts the others down
        // gracefully, as SIGTERM does: the queue is committed and the process exits with the
        // error. The default, cancelling the group, left services waiting for a shutdown that
        // never came.
        let services: [any Service] = backend.services + logFlusher + (bus?.services ?? [])
            + [ingest, HealthCheckService(table: application.proxies, logger: logger)]
            + (application.shortLinks.map { [LinkHitService(links: $0)] } ?? [])
            + listeners + certificateServices
        group = ServiceGroup(configuration: .init(
            services: services.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: installSignalHandlers ? [.sigterm, .sigint] : [],
            logger: logger))
        if !configuration.unusedLegacyKeys.isEmpty {
            logger.warning("configuration keys accepted but not used by this version: \(configuration.unusedLegacyKeys.joined(separator: ", "))")
        }
    }

    struct Backend {
        /// Where stored events are read.
        let store: any EventStore
        /// The ack point: the store itself (SQLite), or the local spool in front of a remote one.
        let ingestSink: any EventSink
        let name: String
        let sessions: [SessionSeed]
        let services: [any Service]
        let deliveries: [SpoolDelivery]
    }

    /// The one place that names concrete stores.
    static func openStore(_ configuration: TrackerConfiguration, sessionsSince since: Date, logger: Logger) async throws -> Backend {
        if configuration.storageBackend == "clickhouse", let url = configuration.clickHouseURL {
            let store = try ClickHouseEventStore(url: url, cluster: configuration.clickHouseCluster,
                                                 shardURLs: configuration.clickHouseShardURLs, logger: logger)
            var sessions: [SessionSeed] = []
            var migrated = false
            do {
                try await store.migrate()
                sessions = try await store.recentSessions(since: since)
                migrated = true
                let version = try await store.serverVersion()
                logger.notice("ClickHouse \(version) at \(url.split(separator: "@").last ?? "")")
            } catch {
                logger.warning("ClickHouse is not reachable at start (\(error)): events will wait in the spool")
            }
            return try remote(store, name: "clickhouse", sessions: sessions, services: [], configuration,
                              batchSize: configuration.clickHouseBatchSize,
                              flushInterval: .milliseconds(Int64(configuration.clickHouseFlushSeconds * 1000)), logger: logger) {
                [migrated] in if !migrated { try await store.migrate() }
            }
        }
        if configuration.storageBackend == "postgres", let url = configuration.postgresURL {
            // A database that is down at start must not stop ingestion: events wait in the spool,
            // and the delivery migrates before its first batch.
            var sessions: [SessionSeed] = []
            var migrated = false
            do {
                sessions = try await PostgresEventStore.prepare(url: url, schema: configuration.postgresSchema, sessionsSince: since,
                                                                logger: logger).sessions
                migrated = true
            } catch {
                logger.warning("PostgreSQL is not reachable at start (\(error)): events will wait in the spool")
            }
            let store = try PostgresEventStore(url: url, schema: configuration.postgresSchema, logger: logger)
            return try remote(store, name: "postgres", sessions: sessions, services: [store], configuration, logger: logger) {
                [migrated] in if !migrated { try await store.migrate() }
            }
        }
        let store = try SQLiteEventStore(path: configuration.databasePath,
                                         durability: configuration.durability == "normal" ? .normal : .full,
                                         maxDatabaseBytes: configuration.maxDatabaseBytes,
                                         cacheBytes: configuration.databaseCacheBytes ?? SQLiteEventStore.defaultCacheBytes)
        return Backend(store: store, ingestSink: store, name: "sqlite", sessions: try await store.recentSessions(since: since),
                       services: [CheckpointService(store: store, interval: CheckpointService.interval, logger: logger)], deliveries: [])
    }

    /// Where links, API keys and shortener accounts live: the event store when it keeps them (every
    /// node then shares them), else an embedded `links.sqlite` of this node (ClickHouse, whose
    /// tables suit appends, not edits).
    public static func linkStore(_ configuration: TrackerConfiguration, events: any EventStore) throws -> any LinkStore {
        if configuration.storageBackend != "clickhouse", let shared = events as? any LinkStore { return shared }
        return try SQLiteEventStore(path: (configuration.dataDirectory as NSString).appendingPathComponent("links.sqlite"))
    }

    /// A store on another machine: requests are acknowledged once the local spool holds their events
    /// (fsynced), and a delivery moves them to the store, which may be down for a while.
    static func remote(_ store: any EventStore, name: String, sessions: [SessionSeed], services: [any Service],
                       _ configuration: TrackerConfiguration, batchSize: Int = 1000, flushInterval: Duration = .zero,
                       logger: Logger, prepare: @escaping @Sendable () async throws -> Void) throws -> Backend {
        let spool = try DiskSpool(directory: (configuration.dataDirectory as NSString).appendingPathComponent("spool"),
                                  maxBytes: configuration.spoolBytes)
        let delivery = SpoolDelivery(spool: spool, sink: store, name: name, batchSize: batchSize, flushInterval: flushInterval,
                                     prepare: prepare, logger: logger)
        return Backend(store: store, ingestSink: spool, name: "spool", sessions: sessions, services: services + [delivery],
                       deliveries: [delivery])
    }

    static func siteRoot(_ site: SiteConfiguration) -> SiteRoot {
        SiteRoot(hosts: site.hosts, root: site.root, options: FileServingOptions(
            indexFiles: site.indexFiles, spaFallback: site.spaFallback,
            cacheControl: CacheControlRules(rules: site.cacheControl.map { .init(pattern: $0.pattern, value: $0.value) },
                                            immutableFingerprinted: site.immutableFingerprinted),
            precompressed: site.precompressed, compress: site.compress))
    }

    static func httpSettings(_ c: TrackerConfiguration) -> HTTPSettings {
        var s = HTTPSettings()
        s.apiVersion = c.apiVersion
        s.maximumConnections = c.maximumConnections
        s.cors = CORSPolicy(allowedOrigins: c.allowOrigin)
        s.trustedProxies = c.trustedProxies
        s.dailyQuota = c.proxyDailyLimit.map { DailyQuota(limit: $0) }
        s.rateLimits = RateLimitPolicy(rules: c.rateLimits.map { limit in
            RateLimitRule(limiter: RateLimiter(name: limit.name, gcra: GCRA(limit: limit.limit, period: limit.periodSeconds)),
                          pathPrefixes: limit.paths, key: limit.header.map(RateLimitRule.Key.header) ?? .clientAddress)
        })
        s.redirects = RedirectPolicy(defaultRedirect: c.defaultRedirect, allowedHosts: c.domains + c.redirectAllowList)
        s.cookieMaxAgeSeconds = Int(c.cookieMaxAgeSeconds)
        s.cookieDomain = c.cookieDomain
        s.debug = c.debug
        s.honorPrivacySignals = c.honorPrivacySignals
        s.version = version
        return s
    }

    /// Runs until SIGTERM/SIGINT or `shutdown()`: then stops accepting, drains, flushes, closes.
    public func run() async throws {
        try await group.run()
        try await fileThreads.shutdownGracefully()
        logger.notice("tracker stopped")
    }

    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
