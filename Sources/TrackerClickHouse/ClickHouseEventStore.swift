import Foundation
import Logging
import NIOCore
import TrackerCore
import TrackerStorage

/// Events in ClickHouse over its HTTP interface. `append` is one `INSERT ... FORMAT RowBinary`
/// per batch (the spool's delivery sends up to 1,000 events at a time), acknowledged by the server
/// before it returns; replays are merged away by the ReplacingMergeTree and never read twice, as
/// reads use `FINAL`. Written for the ClickHouse of Debian (18.16) and later.
public final class ClickHouseEventStore: EventStore {
    let client: ClickHouseClient
    let layout: ClickHouseLayout
    let logger: Logger

    /// `url`: `http://user:password@host:8123/database`. With `cluster` (a name from the servers'
    /// `remote_servers`), events go through a Distributed table sharded by visitor; `shardURLs`
    /// are the shards' HTTP addresses for the schema (the database name is taken from `url`).
    public init(url: String, cluster: String? = nil, shardURLs: [String] = [], timeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "tracker.clickhouse")) throws(StorageError) {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        client = try ClickHouseClient(url: url, timeout: .nanoseconds(nanoseconds))
        if let cluster, !cluster.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { throw .invalid("cluster name \(cluster)") }
        var shards: [ClickHouseClient] = []
        for shard in shardURLs {
            shards.append(try ClickHouseClient(url: shard, timeout: .nanoseconds(nanoseconds), database: client.database))
        }
        layout = ClickHouseLayout(cluster: cluster, shards: cluster == nil ? [] : shards)
        self.logger = logger
    }

    /// Applies missing migrations (creating the database if needed); returns the versions applied now.
    @discardableResult
    public func migrate() async throws(StorageError) -> [Int] {
        try await ClickHouseMigrations.apply(client, layout: layout)
    }

    /// The server's version, as `SELECT version()` answers (`18.16.1`, `24.8.4.13`).
    public func serverVersion() async throws(StorageError) -> String {
        try await client.version()
    }

    /// For tests and tools: removes the whole database.
    public func dropDatabase() async throws(StorageError) {
        for target in layout.shards.isEmpty ? [client] : layout.shards {
            try await target.execute("DROP DATABASE IF EXISTS \(client.database)")
        }
    }

    /// Events held by each shard's local table (one number on a single server).
    public func shardCounts() async throws(StorageError) -> [Int] {
        var counts: [Int] = []
        for target in layout.shards.isEmpty ? [client] : layout.shards {
            counts.append(Int(try await target.rows("SELECT count() AS n FROM \(target.table(layout.localName))").first?["n"]?.number ?? 0))
        }
        return counts
    }

    public func append(_ events: [Event]) async throws(StorageError) {
        guard !events.isEmpty else { return }
        // Clustered, the insert returns once every shard holds its part, not when the Distributed
        // table queued it on this server's disk.
        try await client.insert(into: client.table("events"), columns: ClickHouseEventRows.columns,
                                rowBinary: ClickHouseRowBinary.body(events),
                                settings: layout.cluster == nil ? [:] : ["insert_distributed_sync": "1"])
    }

    public func events(_ query: EventQuery) async throws(StorageError) -> [Event] {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
        let rows = try await client.rows("""
            SELECT \(ClickHouseEventRows.selectList) FROM \(client.table("events")) FINAL
            WHERE \(ClickHouseEventRows.filter(query)) ORDER BY ts, eid LIMIT \(query.limit)
            """)
        return rows.compactMap(ClickHouseEventRows.event)
    }

    public func count(_ query: EventQuery) async throws(StorageError) -> Int {
        guard query.limit >= 0 else { throw .invalid("limit must not be negative") }
        let rows = try await client.rows("SELECT count() AS n FROM \(client.table("events")) FINAL WHERE \(ClickHouseEventRows.filter(query))")
        return Int(rows.first?["n"]?.number ?? 0)
    }

    public func recentSessions(since: Date) async throws(StorageError) -> [SessionSeed] {
        let rows = try await client.rows("""
            SELECT site AS s_site, assumeNotNull(vid) AS s_vid, argMax(assumeNotNull(sid), ts) AS s_sid, max(ts) AS s_last
            FROM \(client.table("events")) FINAL
            WHERE ts >= \(Timestamp.milliseconds(since)) AND vid IS NOT NULL AND sid IS NOT NULL
            GROUP BY s_site, s_vid ORDER BY s_last
            """)
        return rows.compactMap { row in
            guard let site = row["s_site"]?.text, let vid = row["s_vid"]?.text, let sid = row["s_sid"]?.text,
                  let last = row["s_last"]?.number else { return nil }
            return SessionSeed(site: site, vid: vid, sid: sid, lastSeen: Timestamp.date(milliseconds: Int64(last)))
        }
    }
}
