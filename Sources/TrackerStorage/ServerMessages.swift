import Foundation

/// What services tell the tracker over NATS (upstream §7): log lines (`tic.log.>`), counters to
/// increment (`tic.count.>`) and update notes such as deploys (`tic.update.>`).
public struct ServerLog: Sendable, Equatable {
    public var id: String
    public var created: Date
    public var ldate: String?
    /// Nanoseconds of the day the service logged at (upstream's `ltimenss`).
    public var ltime: Int64?
    public var topic: String?
    public var name: String?
    public var host: String?
    public var hostname: String?
    public var owner: String?
    public var ip: String?
    public var level: Int?
    public var msg: String?
    /// A JSON object as text.
    public var params: String?

    public init(id: String, created: Date) {
        self.id = id
        self.created = created
    }
}

public struct ServerUpdate: Sendable, Equatable {
    public var id: String
    public var updated: Date
    public var msg: String?

    public init(id: String, updated: Date, msg: String?) {
        self.id = id
        self.updated = updated
        self.msg = msg
    }
}

/// One transaction's worth of server messages.
public struct ServerMessageBatch: Sendable, Equatable {
    public var logs: [ServerLog] = []
    public var increments: [String: Int] = [:]
    public var updates: [ServerUpdate] = []

    public init() {}

    public var isEmpty: Bool { logs.isEmpty && increments.isEmpty && updates.isEmpty }
    public var count: Int { logs.count + increments.values.reduce(0, +) + updates.count }
}

/// A store that keeps server messages: counters add up, updates keep the latest per id, logs
/// are appended.
public protocol ServerMessageStore: Sendable {
    func record(_ batch: ServerMessageBatch) async throws(StorageError)
    func counters() async throws(StorageError) -> [String: Int]
    func updates() async throws(StorageError) -> [ServerUpdate]
    func logs(limit: Int) async throws(StorageError) -> [ServerLog]
}
