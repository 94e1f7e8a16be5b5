import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrackerCore

/// How a sink fed from the spool is doing, for `/status`.
public struct DeliveryStatus: Sendable, Equatable {
    public var name: String
    public var failing = false
    public var pendingBytes = 0
    public var deliveredEvents = 0
    public var failures = 0
    public var lastError: String?
}

/// Moves events from the spool to one sink, in batches, keeping its own cursor in a file next to
/// the segments (written after each delivered batch). A sink that fails is retried with backoff;
/// ingestion goes on meanwhile, within the spool's quota. Replays after a crash are harmless: every
/// sink is idempotent by `eid`.
public final class SpoolDelivery: Service, Sendable {
    let spool: DiskSpool
    let sink: any EventSink
    let name: String
    let batchSize: Int
    /// After a batch that was not full, the delivery waits this long before the next: few, large
    /// inserts (ClickHouse wants about one a second) at the price of that much delay.
    let flushInterval: Duration
    /// Run once, retried until it succeeds, before the first delivery (migrations, for example).
    let prepare: @Sendable () async throws -> Void
    let logger: Logger
    let state: Mutex<DeliveryStatus>

    public init(spool: DiskSpool, sink: any EventSink, name: String, batchSize: Int = 1000, flushInterval: Duration = .zero,
                prepare: @escaping @Sendable () async throws -> Void = {}, logger: Logger) {
        self.flushInterval = flushInterval
        self.spool = spool
        self.sink = sink
        self.name = name
        self.batchSize = batchSize
        self.prepare = prepare
        self.logger = logger
        self.state = Mutex(DeliveryStatus(name: name))
    }

    public var status: DeliveryStatus { state.withLock { $0 } }

    var cursorPath: String { (spool.directory as NSString).appendingPathComponent("cursor-\(name)") }

    public func run() async throws {
        var cursor = loadCursor()
        var backoff = Duration.milliseconds(100)
        var prepared = false
        // Cancelled, its sleeps return at once: the loop must end then too, not spin.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !prepared {
                    try await prepare()
                    prepared = true
                }
                let delivered = try await deliverOnce(&cursor)
                backoff = .milliseconds(100)
                if delivered == 0 {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(20)) }
                } else if delivered < self.batchSize, self.flushInterval > .zero {
                    let wait = flushInterval
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                }
            } catch {
                record(failure: error)
                let wait = backoff
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        // Shutting down: one last pass for what the ingest queue committed while it drained.
        if prepared {
            while let delivered = try? await deliverOnce(&cursor), delivered > 0 {}
        }
    }

    /// Delivers one batch; returns how many events it moved.
    func deliverOnce(_ cursor: inout SpoolCursor) async throws -> Int {
        let (events, next) = try spool.read(after: cursor, maxEvents: batchSize)
        if !events.isEmpty {
            try await sink.append(events)
        }
        if next != cursor {
            cursor = next
            saveCursor(cursor)
            spool.release(before: cursor)
        }
        let pending = spool.pendingBytes(after: cursor)
        state.withLock {
            $0.failing = false
            $0.deliveredEvents += events.count
            $0.pendingBytes = pending
        }
        return events.count
    }

    func record(failure error: any Error) {
        let pending = spool.pendingBytes(after: loadCursor())
        let first = state.withLock { state in
            defer {
                state.failing = true
                state.failures += 1
                state.lastError = "\(error)"
                state.pendingBytes = pending
            }
            return !state.failing
        }
        if first { logger.error("delivery to \(name) failing, events wait in the spool: \(error)") }
    }

    func loadCursor() -> SpoolCursor {
        guard let text = try? String(contentsOfFile: cursorPath, encoding: .utf8) else { return SpoolCursor(segment: 0, offset: 0) }
        let parts = text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return parts.count == 2 ? SpoolCursor(segment: parts[0], offset: parts[1]) : SpoolCursor(segment: 0, offset: 0)
    }

    /// Written to a temporary file, synced, then renamed over the old one.
    func saveCursor(_ cursor: SpoolCursor) {
        let temporary = cursorPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        let text = Array("\(cursor.segment) \(cursor.offset)\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        _ = fsync(fd)
        close(fd)
        _ = rename(temporary, cursorPath)
    }
}
