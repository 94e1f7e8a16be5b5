import Foundation
import Logging
import NATSClient
import ServiceLifecycle
import Synchronization
import TrackerCore
import TrackerStorage

/// Consumes `tic.log.>`, `tic.count.>` and `tic.update.>` in queue group `tracker` (so each
/// message reaches one node) and stores what came in each 100 ms in one transaction. A store
/// that fails keeps its batch and is retried with backoff while new messages wait (past 10 000
/// they are dropped and counted); malformed messages are counted and logged, never fatal.
public final class ServerMessageConsumer: Service, Sendable {
    public struct Stats: Sendable {
        public var stored = 0
        public var malformed = 0
        public var dropped = 0
        public var lastError: String?
    }

    let connection: NATSConnection
    let store: any ServerMessageStore
    let clock: any TrackerClock
    let random: any RandomSource
    let logger: Logger
    let counters = Mutex(Stats())
    /// Messages waiting for the next store transaction.
    let pending = Mutex(ServerMessageBatch())
    public static let queueGroup = "tracker"
    static let maxHeld = 10_000

    public init(connection: NATSConnection, store: any ServerMessageStore, clock: any TrackerClock = SystemClock(),
                random: any RandomSource = SystemRandomSource(), logger: Logger) {
        self.connection = connection
        self.store = store
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    public var stats: Stats { counters.withLock { $0 } }

    public func run() async throws {
        let subscriptions = try ServerMessageParser.subjects.map { try connection.subscribe($0, queue: Self.queueGroup) }
        await withTaskGroup(of: Void.self) { group in
            for subscription in subscriptions {
                group.addTask {
                    for await message in subscription { self.add(message) }
                }
            }
            group.addTask { await self.flushLoop() }
            try? await gracefulShutdown()
            subscriptions.forEach { $0.unsubscribe() }
            await group.waitForAll()
        }
    }

    /// Every 100 ms, what arrived goes to the store in one transaction.
    func flushLoop() async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
            var batch = pending.withLock { pending in
                defer { pending = ServerMessageBatch() }
                return pending
            }
            if !batch.isEmpty { await save(&batch) }
        }
        var last = pending.withLock { $0 }
        if !last.isEmpty { await save(&last) }
    }

    func add(_ message: NATSMessage) {
        let now = clock.now()
        let random = self.random
        guard let parsed = ServerMessageParser.parse(subject: message.subject, payload: message.payload, now: now,
                                                     newID: { TimeUUID.text(TimeUUID.v7(at: now, random: random)) }) else {
            counters.withLock { $0.malformed += 1 }
            logger.notice("malformed NATS message on \(message.subject) dropped")
            return
        }
        let kept: Bool = pending.withLock { batch in
            guard batch.count < Self.maxHeld else { return false }
            switch parsed {
            case .count(let id): batch.increments[id, default: 0] += 1
            case .update(let update): batch.updates.append(update)
            case .log(let log): batch.logs.append(log)
            }
            return true
        }
        if !kept { counters.withLock { $0.dropped += 1 } }
    }

    /// Stores the batch, retrying while the store is down (the batch is kept, not lost).
    func save(_ batch: inout ServerMessageBatch) async {
        var wait = 0.1
        while true {
            do {
                try await store.record(batch)
                let count = batch.count
                counters.withLock { $0.stored += count }
                batch = ServerMessageBatch()
                return
            } catch {
                counters.withLock { $0.lastError = "\(error)" }
                logger.warning("storing \(batch.count) server messages failed: \(error); retrying")
                if Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                wait = min(wait * 2, 5)
            }
        }
    }

    public var statusJSON: JSONValue {
        let stats = self.stats
        return .object([
            "stored_messages": .number(Double(stats.stored)),
            "malformed_messages": .number(Double(stats.malformed)),
            "dropped_messages": .number(Double(stats.dropped)),
            "last_error": stats.lastError.map { .string($0) } ?? .null,
        ])
    }
}
