import ArgumentParser
import Foundation
import Logging
import TrackerClickHouse
import TrackerConfig
import TrackerCore
import TrackerServer
import TrackerPostgres
import TrackerSQLite

@main
struct TrackerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracker",
        abstract: "Self-hosted growth analytics and edge server.",
        version: TrackerServer.version,
        subcommands: [Serve.self, Validate.self, Migrate.self, Version.self],
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
            let prepared = try await PostgresEventStore.prepare(url: url, sessionsSince: Date())
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

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("tracker \(TrackerServer.version)")
    }
}
