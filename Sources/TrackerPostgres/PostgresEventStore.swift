import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import TrackerCore
import TrackerStorage

/// Events in PostgreSQL (or a server speaking its protocol), through postgres-nio's pooled client.
/// `append` is one `INSERT ... SELECT FROM json_populate_recordset ... ON CONFLICT DO NOTHING` per batch, committed before
/// it returns. It is a `Service`: its connection pool runs while `run()` does.
public final class PostgresEventStore: EventStore, Service {
    let client: PostgresClient
    let logger: Logger
    /// How long one operation may take before it fails as `.unavailable`: a server that is down
    /// must turn into 503s at once, not into requests that hang while the pool retries.
    let timeout: Duration
    let schema: String?
    /// Schema changes may rewrite a large table (migration 2 does): they get minutes, not seconds.
    static let schemaTimeout = Duration.seconds(600)

    /// `url`: `postgres://user:password@host:port/database` (`postgresql://` too; password optional).
    /// `schema`: where the tables are (created by `migrate` if missing); nil: the server's default.
    public init(url: String, schema: String? = nil, timeout: Duration = .seconds(5), maxConnections: Int = 8,
                logger: Logger = Logger(label: "tracker.postgres")) throws(StorageError) {
        let address = try PostgresAddress(url)
        var configuration = PostgresClient.Configuration(host: address.host, port: address.port, username: address.user,
                                                         password: address.password, database: address.database, tls: .disable)
        configuration.options.additionalStartupParameters = Self.startupParameters(schema)
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(3)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.timeout = timeout
        self.schema = schema
    }

    /// Every connection's `search_path`: unqualified names (events, partitions, migrations) then
    /// mean the configured schema, so no statement names it.
    static func startupParameters(_ schema: String?) -> [(String, String)] {
        schema.map { [("search_path", "\"\($0)\"")] } ?? []
    }

    /// The pool, and the partitions of the coming months made ahead every six hours.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(6 * 3600))
                    guard !Task.isCancelled else { break }
                    do {
                        try await self.client.withConnection { try await PostgresPartitions.ensure($0, logger: self.logger) }
                    } catch {
                        self.logger.warning("PostgreSQL partitions not made ahead: \(error)")
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Before the pool runs (at start, or for `tracker migrate`): applies missing migrations and
    /// reads the sessions active since `since`, over one connection of its own.
    public static func prepare(url: String, schema: String? = nil, sessionsSince since: Date,
                               logger: Logger = Logger(label: "tracker.postgres")) async throws(StorageError)
        -> (applied: [Int], sessions: [SessionSeed]) {
        let address = try PostgresAddress(url)
        let store = try PostgresEventStore(url: url, schema: schema, maxConnections: 1, logger: logger)
        return try await store.mapped(timeout: schemaTimeout) {
            var configuration = PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user,
                                                                 password: address.password, database: address.database, tls: .disable)
            configuration.options.additionalStartupParameters = startupParameters(schema)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            do {
                let applied = try await PostgresMigrations.apply(connection, schema: schema, logger: logger)
                let sessions = try await Self.sessions(since: since, on: connection, logger: logger)
                try await connection.close()
                return (applied, sessions)
            } catch {
                try? await connection.close()
                throw error
            }
        }
    }

    /// Makes the monthly partitions around `date` that are missing; returns their names.
    @discardableResult
    public func ensurePartitions(around date: Date = Date()) async throws(StorageError) -> [String] {
        try await mapped { [self] in _ = try await client.query("SELECT 1", logger: logger) }
        return try await mapped(timeout: Self.schemaTimeout) { [self] in
            try await client.withConnection { try await PostgresPartitions.ensure($0, now: date, logger: logger) }
        }
    }

    /// Applies missing migrations; returns the versions applied now.
    @discardableResult
    public func migrate() async throws(StorageError) -> [Int] {
        try await migrate(through: .max)
    }

    func migrate(through last: Int) async throws(StorageError) -> [Int] {
        // A database that is down or missing fails within the usual timeout; only the schema work
        // itself gets the long one.
        try await mapped { [self] in _ = try await client.query("SELECT 1", logger: logger) }
        return try await mapped(timeout: Self.schemaTimeout) { [self] in
            try await PostgresMigrations.apply(client, schema: schema, through: last, logger: logger)
        }
    }

    /// One statement per batch (atomic: all rows or none): the batch as a JSON parameter, rows that
    /// are stored already (a replay after a lost acknowledgement) skipped by `ON CONFLICT`.
    public func append(_ events: [Event]) async throws(StorageError) {
        guard !events.isEmpty else { return }
        let query = PostgresEventRows.insert(json: PostgresJSONRows.write(events[...]))
        try await mapped { [self] in _ = try await client.query(query, logger: logger) }
    }

    public func events(_ query: EventQuery) async throws(StorageError) -> [Event] {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
        let statement = PostgresEventRows.select(query)
        return try await mapped { [self] in
            var result: [Event] = []
            for try await row in try await client.query(statement, logger: logger) {
                result.append(try PostgresEventRows.event(row.makeRandomAccess()))
            }
            return result
        }
    }

    public func count(_ query: EventQuery) async throws(StorageError) -> Int {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
        let statement = PostgresEventRows.count(query)
        return try await mapped { [self] in
            var total = 0
            for try await n in try await client.query(statement, logger: logger).decode(Int.self) { total = n }
            return total
        }
    }

    public func recentSessions(since: Date) async throws(StorageError) -> [SessionSeed] {
        try await mapped { [self] in
            try await client.withConnection { connection in try await Self.sessions(since: since, on: connection, logger: logger) }
        }
    }

    static func sessions(since: Date, on connection: PostgresConnection, logger: Logger) async throws -> [SessionSeed] {
        var seeds: [SessionSeed] = []
        let rows = try await connection.query("""
            SELECT DISTINCT ON (coalesce(hhash, ''), vid) coalesce(hhash, ''), coalesce(vid_text, vid::text),
                coalesce(sid_text, sid::text), created
            FROM events WHERE created >= \(since) AND vid IS NOT NULL AND sid IS NOT NULL
            ORDER BY coalesce(hhash, ''), vid, created DESC, eid DESC
            """, logger: logger)
        for try await (site, vid, sid, created) in rows.decode((String, String, String, Date).self) {
            seeds.append(SessionSeed(site: site, vid: vid, sid: sid, lastSeen: Timestamp.truncated(created)))
        }
        return seeds.sorted { $0.lastSeen < $1.lastSeen }
    }

    /// Runs `work`, turning driver errors into `StorageError`: SQL state class 53 (insufficient
    /// resources, such as a full disk) is `.full`, a server's other refusals are `.invalid`, and
    /// everything else (connection refused, lost, timed out) is `.unavailable`.
    func mapped<T: Sendable>(timeout: Duration? = nil, _ work: @escaping @Sendable () async throws -> T) async throws(StorageError) -> T {
        let timeout = timeout ?? self.timeout
        do {
            // Not a task group: it would wait for a query that ignores cancellation (see Deadline).
            return try await Deadline.run(timeout, onTimeout: { StorageError.unavailable("PostgreSQL did not answer within \(timeout)") },
                                          work)
        } catch let error as StorageError {
            throw error
        } catch let error as PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                let message = error.serverInfo?[.message] ?? state
                if state.hasPrefix("53") { throw .full(message) }
                if state.hasPrefix("08") || state.hasPrefix("57") { throw .unavailable(message) }
                throw .invalid("\(state): \(message)")
            }
            throw .unavailable("PostgreSQL: \(error.code)")
        } catch {
            throw .unavailable("PostgreSQL: \(error)")
        }
    }
}
