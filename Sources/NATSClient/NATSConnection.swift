import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A NATS client connection: publishes, subscriptions and requests over one TCP (or TLS)
/// connection that reconnects by itself across the server pool. Publishing never waits on the
/// network: bytes go to an outbox flushed once per event-loop turn (so bursts share writes),
/// held while disconnected up to `pendingBytesLimit`.
public final class NATSConnection: Sendable {
    public enum Status: Sendable, Equatable { case connecting, connected, reconnecting, closed }

    /// What the keep-alive and flush barriers wait for, in the order the PINGs were sent.
    enum PongWaiter {
        case keepAlive
        case flush(UUID, CheckedContinuation<Void, any Error>)
    }

    struct State {
        var status = Status.connecting
        var channel: (any Channel)?
        var info: ServerInfo?
        var pool: [ServerAddress] = []
        var nextServer = 0
        var subscriptions: [Int: NATSSubscription] = [:]
        var nextSid = 1
        var outbox = NATSConnection.allocator.buffer(capacity: 64 * 1024)
        var flushScheduled = false
        var pongs: [PongWaiter] = []
        var requests: [String: CheckedContinuation<NATSMessage, any Error>] = [:]
        var inboxSid: Int?
        var reconnects = 0
        var everConnected = false
        var lastError: String?
        var published = 0
    }

    public let options: NATSOptions
    let logger: Logger
    let state = Mutex(State())
    let inboxPrefix: String
    let jitter: @Sendable () -> Double
    let sslContext: NIOSSLContext?

    /// Connects to the first server of the pool that answers; throws when none does.
    public static func connect(_ options: NATSOptions, logger: Logger = Logger(label: "nats"),
                               jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) async throws -> NATSConnection {
        let connection = try NATSConnection(options: options, logger: logger, jitter: jitter)
        var lastError: (any Error)?
        for _ in connection.state.withLock({ $0.pool }) {
            do {
                try await connection.attempt()
                connection.startKeepAlive()
                return connection
            } catch {
                lastError = error
            }
        }
        connection.state.withLock { $0.status = .closed }
        throw lastError ?? NATSError.noServers
    }

    /// A connection that is made (and remade) in the background: usable at once, its publishes
    /// held until a server answers. For services that must start while NATS is down.
    public static func start(_ options: NATSOptions, logger: Logger = Logger(label: "nats"),
                             jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) throws -> NATSConnection {
        let connection = try NATSConnection(options: options, logger: logger, jitter: jitter)
        connection.state.withLock { $0.status = .reconnecting }
        Task { await connection.reconnectLoop() }
        connection.startKeepAlive()
        return connection
    }

    init(options: NATSOptions, logger: Logger, jitter: @escaping @Sendable () -> Double) throws {
        self.options = options
        self.logger = logger
        self.jitter = jitter
        inboxPrefix = "_INBOX." + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(22)
        let pool = options.servers.compactMap(ServerAddress.init)
        guard !pool.isEmpty else { throw NATSError.noServers }
        state.withLock { $0.pool = pool }
        if options.tlsRequired || options.tlsCAFile != nil || options.tlsCertificateFile != nil || pool.contains(where: \.tls) {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = options.tlsCAFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
            if let certificate = options.tlsCertificateFile, let key = options.tlsKeyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            sslContext = try NIOSSLContext(configuration: tls)
        } else {
            sslContext = nil
        }
    }

    public var status: Status { state.withLock { $0.status } }
    /// The server's limit for one message (headers and payload).
    public var maxPayload: Int { state.withLock { $0.info?.max_payload ?? 1 << 20 } }
    public var connectedServer: String? { state.withLock { $0.info?.server_name } }
    public var reconnects: Int { state.withLock { $0.reconnects } }
    public var jetStreamAvailable: Bool { state.withLock { $0.info?.jetstream ?? false } }
    /// Bytes waiting to be written (while disconnected: to be sent after reconnecting).
    public var pendingBytes: Int { state.withLock { $0.outbox.readableBytes } }

    // MARK: publishing

    public func publish(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil, replyTo: String? = nil) throws {
        guard ClientOperation.isValidSubject(subject, wildcards: false) else { throw NATSError.invalidSubject(subject) }
        let headerBlock = headers?.encoded()
        let size = payload.count + (headerBlock?.count ?? 0)
        // One lock, and the bytes written straight into the outbox: this is the hot path of
        // every tracked event when publishing is on.
        try write(counted: true) { state throws(NATSError) in
            let limit = state.info?.max_payload ?? 1 << 20
            guard size <= limit else { throw NATSError.payloadTooLarge(size: size, max: limit) }
            guard state.outbox.readableBytes + size + subject.utf8.count + 48 <= options.pendingBytesLimit else {
                throw NATSError.bufferFull(limit: options.pendingBytesLimit)
            }
            ClientOperation.publish(subject: subject, replyTo: replyTo, headerBlock: headerBlock, payload: payload, into: &state.outbox)
        }
    }

    func enqueue(_ bytes: [UInt8]) throws {
        try write(counted: false) { state throws(NATSError) in
            guard state.outbox.readableBytes + bytes.count <= options.pendingBytesLimit else {
                throw NATSError.bufferFull(limit: options.pendingBytesLimit)
            }
            state.outbox.writeBytes(bytes)
        }
    }

    /// Appends to the outbox under the lock; the first write after a flush schedules the next one.
    func write(counted: Bool, _ body: (inout State) throws(NATSError) -> Void) throws(NATSError) {
        let flushOn: (any Channel)? = try state.withLock { (state) throws(NATSError) -> (any Channel)? in
            guard state.status != .closed else { throw NATSError.closed }
            try body(&state)
            if counted { state.published += 1 }
            guard state.status == .connected, !state.flushScheduled, let channel = state.channel else { return nil }
            state.flushScheduled = true
            return channel
        }
        if let flushOn { flushOn.eventLoop.execute { self.flushOutbox(flushOn) } }
    }

    /// Writes what the outbox holds, on the channel's event loop (the buffer itself, no copy).
    func flushOutbox(_ channel: any Channel) {
        let bytes: ByteBuffer? = state.withLock { state in
            state.flushScheduled = false
            guard state.channel === channel, state.status == .connected, state.outbox.readableBytes > 0 else { return nil }
            defer { state.outbox = Self.allocator.buffer(capacity: 64 * 1024) }
            return state.outbox
        }
        guard let bytes else { return }
        channel.writeAndFlush(bytes, promise: nil)
    }

    static let allocator = ByteBufferAllocator()

    /// Returns once the server has processed everything sent before (a PING/PONG round trip),
    /// or throws `timeout`. A waiter that timed out stays in line as a placeholder, so that its
    /// late PONG does not answer the next one.
    public func flush(timeout: Duration = .seconds(5)) async throws {
        let id = UUID()
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.expireFlush(id)
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            do {
                try state.withLock { state in
                    guard state.status == .connected else { throw NATSError.closed }
                    state.pongs.append(.flush(id, continuation))
                }
                try enqueue(ClientOperation.ping)
            } catch {
                // Not in line (not connected): answered here; in line (the PING could not be
                // queued): taken out of line and answered.
                if !expireFlush(id, error: error) { continuation.resume(throwing: error) }
            }
        }
    }

    @discardableResult
    func expireFlush(_ id: UUID, error: any Error = NATSError.timeout) -> Bool {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard let index = state.pongs.firstIndex(where: { if case .flush(id, _) = $0 { true } else { false } }),
                  case .flush(_, let continuation) = state.pongs[index] else { return nil }
            state.pongs[index] = .keepAlive
            return continuation
        }
        waiter?.resume(throwing: error)
        return waiter != nil
    }

    // MARK: subscriptions

    public func subscribe(_ subject: String, queue: String? = nil) throws -> NATSSubscription {
        guard ClientOperation.isValidSubject(subject, wildcards: true) else { throw NATSError.invalidSubject(subject) }
        let subscription: NATSSubscription = state.withLock { state in
            let sid = state.nextSid
            state.nextSid += 1
            let subscription = NATSSubscription(subject: subject, queue: queue, sid: sid, capacity: options.subscriptionCapacity,
                                                connection: self)
            state.subscriptions[sid] = subscription
            return subscription
        }
        try enqueue(ClientOperation.subscribe(subject: subject, queue: queue, sid: subscription.sid))
        return subscription
    }

    func unsubscribe(_ subscription: NATSSubscription) {
        let removed = state.withLock { $0.subscriptions.removeValue(forKey: subscription.sid) != nil }
        guard removed else { return }
        subscription.finish()
        try? enqueue(ClientOperation.unsubscribe(sid: subscription.sid))
    }

    // MARK: request/reply

    /// Sends a request and waits for the first reply (on a shared inbox subscription).
    public func request(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil,
                        timeout: Duration = .seconds(5)) async throws -> NATSMessage {
        try ensureInbox()
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        let replyTo = "\(inboxPrefix).\(token)"
        let key = String(token)
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.completeRequest(key, with: .failure(NATSError.timeout))
        }
        defer { timer.cancel() }
        do {
            return try await send(subject, payload: payload, headers: headers, replyTo: replyTo, key: key)
        } catch NATSError.noResponders {
            throw NATSError.noResponders(subject)
        }
    }

    func send(_ subject: String, payload: [UInt8], headers: NATSHeaders?, replyTo: String, key: String) async throws -> NATSMessage {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { $0.requests[key] = continuation }
            do {
                try publish(subject, payload: payload, headers: headers, replyTo: replyTo)
            } catch {
                completeRequest(key, with: .failure(error))
            }
        }
    }

    func ensureInbox() throws {
        let needed: Int? = state.withLock { state in
            guard state.inboxSid == nil else { return nil }
            let sid = state.nextSid
            state.nextSid += 1
            state.inboxSid = sid
            return sid
        }
        if let sid = needed { try enqueue(ClientOperation.subscribe(subject: inboxPrefix + ".*", queue: nil, sid: sid)) }
    }

    func completeRequest(_ key: String, with result: Result<NATSMessage, any Error>) {
        let continuation = state.withLock { $0.requests.removeValue(forKey: key) }
        continuation?.resume(with: result)
    }

    // MARK: closing

    /// Sends what is pending, then closes; subscriptions end, waiting requests fail.
    public func close() async {
        try? await flush(timeout: .seconds(2))
        let (channel, subscriptions, requests, pongs) = state.withLock { state in
            state.status = .closed
            defer {
                state.subscriptions = [:]
                state.requests = [:]
                state.pongs = []
            }
            return (state.channel, Array(state.subscriptions.values), Array(state.requests.values), state.pongs)
        }
        subscriptions.forEach { $0.finish() }
        requests.forEach { $0.resume(throwing: NATSError.closed) }
        for case .flush(_, let waiter) in pongs { waiter.resume(throwing: NATSError.closed) }
        try? await channel?.close()
    }
}
