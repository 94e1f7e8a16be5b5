import ArgumentParser
import Foundation
import Logging
import TrackerClickHouse
import TrackerConfig
import TrackerCore
import TrackerServer
import TrackerPostgres
import TrackerSQLite
import TrackerStorage

@main
struct TrackerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracker",
        abstract: "Self-hosted growth analytics and edge server.",
        version: TrackerServer.version,
        subcommands: [Serve.self, Validate.self, Migrate.self, Export.self, Keys.self, Accounts.self, Version.self],
        defaultSubcommand: Serve.self)
}

/// Flags shared by the commands that read a configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The JSON configuration file (every key is optional).")
    var config: String?

    @Option(name: .long, help: "Where to listen, HOST:PORT (overrides Listen).")
    var listen: String?

    @Option(name: .long, help: "The data directory (overrides DataDirectory); the store is DIR/tracker.sqlite.")
    var data: String?

    func load() throws -> TrackerConfiguration {
        var environment = ProcessInfo.processInfo.environment
        // Flags win over the file and the environment.
        if let listen { environment["TRACKER_LISTEN"] = listen }
        if let data { environment["TRACKER_DATA_DIRECTORY"] = data }
        do {
            return try TrackerConfiguration.load(file: config, environment: environment)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let level = Logger.Level(rawValue: configuration.debug ? "debug" : configuration.logLevel) ?? .info
        let json = configuration.logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tracker")
        logger.notice("tracker \(TrackerServer.version) starting: data in \(configuration.databasePath)")
        let server = try await TrackerServer(configuration: configuration, logger: logger)
        try await server.run()
    }
}

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file and print every problem with its JSON path.")

    @Argument(help: "The configuration file.")
    var file: String

    func run() async throws {
        do {
            let configuration = try TrackerConfiguration.load(file: file)
            print("\(file): valid")
            if !configuration.unusedLegacyKeys.isEmpty {
                print("note: accepted but not used by this version: \(configuration.unusedLegacyKeys.joined(separator: ", "))")
            }
        } catch {
            print(error.description)
            throw ExitCode(1)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the store's schema migrations and exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        if configuration.storageBackend == "postgres", let url = configuration.postgresURL {
            let prepared = try await PostgresEventStore.prepare(url: url, schema: configuration.postgresSchema, sessionsSince: Date())
            let applied = prepared.applied.isEmpty ? "nothing to apply" : "applied \(prepared.applied.map(String.init).joined(separator: ", "))"
            print("PostgreSQL: \(applied); schema version \(PostgresMigrations.all.last?.version ?? 0)")
            return
        }
        if configuration.storageBackend == "clickhouse", let url = configuration.clickHouseURL {
            let store = try ClickHouseEventStore(url: url, cluster: configuration.clickHouseCluster,
                                                 shardURLs: configuration.clickHouseShardURLs)
            let applied = try await store.migrate()
            print("ClickHouse \(try await store.serverVersion()): \(applied.isEmpty ? "nothing to apply" : "applied \(applied.map(String.init).joined(separator: ", "))")")
            return
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let result = try SQLiteEventStore.migrate(path: configuration.databasePath)
        let applied = result.applied.isEmpty ? "nothing to apply" : "applied \(result.applied.map(String.init).joined(separator: ", "))"
        print("\(configuration.databasePath): \(applied); schema version \(result.version)")
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write stored events to standard output, oldest first, from whichever store is configured.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "ndjson (one JSON object per line) or csv (with a header).")
    var format: String = "ndjson"

    @Option(help: "From this time on: ISO-8601 (2026-11-01 or 2026-11-01T10:00:00Z) or an age (90d, 12h, 30m).")
    var since: String?

    @Option(help: "Before this time (same forms as --since).")
    var until: String?

    @Option(help: "Only this site: its host name (example.com) or its hhash.")
    var site: String?

    func run() async throws {
        guard let format = EventExport.Format(rawValue: format) else {
            throw ValidationError("--format must be ndjson or csv")
        }
        let now = Date()
        let from = try since.map { try Self.time($0, now: now) } ?? .distantPast
        let to = try until.map { try Self.time($0, now: now) } ?? .distantFuture
        let siteKey = site.map { $0.contains(".") || $0.contains(":") ? Hashing.hostHash($0.lowercased()) : $0 }
        let configuration = try options.load()
        let query = EventQuery(site: siteKey, from: from, to: to)
        let output = FileHandle.standardOutput
        if let header = EventExport.header(format) { output.write(Data(header.utf8)) }
        try await Self.withStore(configuration) { store in
            try await EventExport.pages(store, query) { events in
                output.write(Data(events.map { EventExport.line($0, format) }.joined().utf8))
            }
        }
    }

    /// The configured store, open while `body` runs. With `create`, a missing embedded store is
    /// made and PostgreSQL is migrated first (for commands that write, such as `keys create`).
    static func withStore<T: Sendable>(_ configuration: TrackerConfiguration, create: Bool = false,
                                       _ body: (any EventStore) async throws -> T) async throws -> T {
        if create { try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true) }
        switch configuration.storageBackend {
        case "postgres":
            let store = try PostgresEventStore(url: configuration.postgresURL ?? "", schema: configuration.postgresSchema)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                if create { _ = try await store.migrate() }
                return try await body(store)
            }
        case "clickhouse":
            return try await body(try ClickHouseEventStore(url: configuration.clickHouseURL ?? "", cluster: configuration.clickHouseCluster,
                                                           shardURLs: configuration.clickHouseShardURLs))
        default:
            if !create, !FileManager.default.fileExists(atPath: configuration.databasePath) {
                throw ValidationError("no store at \(configuration.databasePath)")
            }
            return try await body(try SQLiteEventStore(path: configuration.databasePath))
        }
    }

    static func time(_ text: String, now: Date) throws -> Date {
        let units: [Character: Double] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        if let unit = text.last, let scale = units[unit], let amount = Double(text.dropLast()) {
            return now.addingTimeInterval(-amount * scale)
        }
        let formats = ["yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd"]
        for pattern in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = pattern
            if let date = formatter.date(from: text) { return date }
        }
        throw ValidationError("not a time: \(text) (use 2026-11-01, 2026-11-01T10:00:00Z or 90d)")
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("tracker \(TrackerServer.version)")
    }
}
