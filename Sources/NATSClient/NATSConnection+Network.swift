import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Connecting, the handshake, what the server sends, and reconnecting.
extension NATSConnection {
    /// One connection attempt to the next server of the pool: TCP (TLS after INFO when asked),
    /// CONNECT, every subscription again with its sid, PING; connected at the PONG, when the
    /// held publishes go out.
    func attempt() async throws {
        let server: ServerAddress = state.withLock { state in
            let server = state.pool[state.nextServer % state.pool.count]
            state.nextServer += 1
            return server
        }
        let handshake = Handshake(MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Void.self))
        let handler = NATSChannelHandler(connection: self, handshake: handshake, server: server)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(options.connectTimeout * 1000)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                .connect(host: server.host, port: server.port).get()
        } catch {
            handshake.fail(error)
            throw NATSError.connectFailed("\(server): \(error)")
        }
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(options.connectTimeout * 1000))) {
            handshake.fail(NATSError.connectFailed("\(server): no handshake in \(self.options.connectTimeout) s"))
            channel.close(promise: nil)
        }
        do {
            try await handshake.promise.futureResult.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            throw error
        }
        let flushOn: (any Channel)? = state.withLock { state in
            state.channel = channel
            state.status = .connected
            if state.everConnected { state.reconnects += 1 }
            state.everConnected = true
            guard state.outbox.readableBytes > 0, !state.flushScheduled else { return nil }
            state.flushScheduled = true
            return channel
        }
        logger.info("connected to NATS at \(server)")
        if let flushOn { flushOn.eventLoop.execute { self.flushOutbox(flushOn) } }
    }

    /// CONNECT and the subscriptions to restore, for the handshake.
    func handshakeBytes(server: ServerAddress) -> [UInt8] {
        var connect: [String: Any] = [
            "verbose": false, "pedantic": false, "tls_required": server.tls || sslContext != nil, "name": options.name,
            "lang": "swift", "version": "0.1.0", "protocol": 1, "headers": true, "no_responders": true,
        ]
        if let user = server.user ?? options.user { connect["user"] = user }
        if let password = server.password ?? options.password { connect["pass"] = password }
        if let token = options.token { connect["auth_token"] = token }
        let json = (try? JSONSerialization.data(withJSONObject: connect, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var bytes = ClientOperation.connect(json)
        state.withLock { state in
            for (sid, subscription) in state.subscriptions.sorted(by: { $0.key < $1.key }) {
                bytes += ClientOperation.subscribe(subject: subscription.subject, queue: subscription.queue, sid: sid)
            }
            if let sid = state.inboxSid { bytes += ClientOperation.subscribe(subject: inboxPrefix + ".*", queue: nil, sid: sid) }
        }
        return bytes + ClientOperation.ping
    }

    func received(info: ServerInfo) {
        state.withLock { state in
            state.info = info
            // Servers a cluster announces join the pool; one entering lame-duck mode leaves it.
            for url in info.connect_urls ?? [] {
                guard let address = ServerAddress(url.contains("://") ? url : "nats://" + url),
                      !state.pool.contains(where: { $0.host == address.host && $0.port == address.port }) else { continue }
                state.pool.append(address)
            }
        }
        if info.ldm == true { logger.notice("the NATS server \(info.server_name ?? "") is going away (lame duck)") }
    }

    func received(_ message: NATSMessage, sid: Int) {
        let target: NATSSubscription? = state.withLock { state in
            if sid == state.inboxSid { return nil }
            return state.subscriptions[sid]
        }
        if let target { return target.deliver(message) }
        guard message.subject.hasPrefix(inboxPrefix + ".") else { return }
        let key = String(message.subject.dropFirst(inboxPrefix.count + 1))
        if message.headers?.status == 503 {
            completeRequest(key, with: .failure(NATSError.noResponders(message.headers?["Nats-Subject"] ?? "")))
        } else {
            completeRequest(key, with: .success(message))
        }
    }

    func receivedPong() {
        let waiter: PongWaiter? = state.withLock { state in state.pongs.isEmpty ? nil : state.pongs.removeFirst() }
        if case .flush(_, let continuation) = waiter { continuation.resume() }
    }

    func receivedError(_ message: String) {
        state.withLock { $0.lastError = message }
        logger.warning("NATS error: \(message)")
    }

    /// The connection ended: unless closed on purpose, reconnect, trying each server in turn with
    /// a growing, jittered wait between rounds.
    func disconnected(_ channel: any Channel) {
        let reconnect: Bool = state.withLock { state in
            guard state.channel === channel else { return false }
            state.channel = nil
            state.flushScheduled = false
            for case .flush(_, let waiter) in state.pongs { waiter.resume(throwing: NATSError.closed) }
            state.pongs = []
            guard state.status != .closed else { return false }
            state.status = .reconnecting
            return true
        }
        guard reconnect else { return }
        logger.warning("disconnected from NATS; reconnecting")
        Task { await self.reconnectLoop() }
    }

    func reconnectLoop() async {
        var round = 0
        while status == .reconnecting {
            let servers = state.withLock { $0.pool.count }
            for _ in 0..<servers {
                guard status == .reconnecting else { return }
                do {
                    try await attempt()
                    return
                } catch {
                    logger.debug("NATS reconnect failed: \(error)")
                }
            }
            round += 1
            if let limit = options.maxReconnectAttempts, round >= limit {
                logger.error("gave up reconnecting to NATS after \(round) rounds")
                await close()
                return
            }
            let wait = min(options.reconnectWait * pow(2, Double(round - 1)), options.maxReconnectWait) * (0.75 + 0.5 * jitter())
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
        }
    }

    /// PINGs after quiet periods; a server that stopped answering is left for another.
    func startKeepAlive() {
        let interval = Duration.milliseconds(Int(options.pingInterval * 1000))
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self, self.status != .closed else { return }
                let (stale, channel): (Bool, (any Channel)?) = self.state.withLock { state in
                    guard state.status == .connected else { return (false, nil) }
                    let outstanding = state.pongs.filter { if case .keepAlive = $0 { true } else { false } }.count
                    if outstanding >= self.options.maxPingsOut { return (true, state.channel) }
                    state.pongs.append(.keepAlive)
                    return (false, nil)
                }
                if stale {
                    self.logger.warning("NATS server stopped answering PINGs; reconnecting")
                    channel?.close(promise: nil)
                } else {
                    try? self.enqueue(ClientOperation.ping)
                }
            }
        }
    }
}

/// Bytes in, operations out, on the connection's event loop. Holds the handshake until the
/// first PONG (or an error before it).
final class NATSChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    weak var connection: NATSConnection?
    let handshake: Handshake
    let server: ServerAddress
    var parser = ServerOperationParser()
    var connected = false
    var sawInfo = false

    init(connection: NATSConnection, handshake: Handshake, server: ServerAddress) {
        self.connection = connection
        self.handshake = handshake
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        parser.append(buffer.readableBytesView)
        do {
            while let operation = try parser.next() {
                handle(operation, context: context)
            }
        } catch {
            connection?.receivedError("\(error)")
            fail(NATSError.server("\(error)"), context: context)
        }
    }

    func handle(_ operation: ServerOperation, context: ChannelHandlerContext) {
        guard let connection else { return context.close(promise: nil) }
        switch operation {
        case .info(let json):
            guard let info = try? JSONDecoder().decode(ServerInfo.self, from: Data(json)) else { return }
            connection.received(info: info)
            parser.maxMessageBytes = (info.max_payload ?? 1 << 20) * 2 + 65536
            guard !sawInfo else { return }
            sawInfo = true
            if server.tls || info.tls_required == true || connection.sslContext != nil {
                guard let tls = connection.sslContext ?? (try? NIOSSLContext(configuration: .makeClientConfiguration())) else {
                    return fail(NATSError.connectFailed("\(server): TLS is required and could not be set up"), context: context)
                }
                let name = server.host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : server.host
                do {
                    try context.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: name),
                                                                   position: .first)
                } catch {
                    return fail(NATSError.connectFailed("\(server): \(error)"), context: context)
                }
            }
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: connection.handshakeBytes(server: server))),
                                  promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: ClientOperation.pong)), promise: nil)
        case .pong:
            if !connected {
                connected = true
                handshake.succeed()
            } else {
                connection.receivedPong()
            }
        case .ok: break
        case .error(let message):
            connection.receivedError(message)
            if !connected { fail(NATSError.server(message), context: context) }
        case .message(let message, let sid):
            connection.received(message, sid: sid)
        }
    }

    func fail(_ error: any Error, context: ChannelHandlerContext) {
        if !connected { handshake.fail(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !connected { handshake.fail(NATSError.connectFailed("\(server): the connection closed")) }
        else { connection?.disconnected(context.channel) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }
}

/// The handshake's outcome, settled once: a timeout, a close and an error may all report it.
final class Handshake: Sendable {
    let promise: EventLoopPromise<Void>
    let settled = Mutex(false)

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    func succeed() {
        if settle() { promise.succeed() }
    }

    func fail(_ error: any Error) {
        if settle() { promise.fail(error) }
    }

    func settle() -> Bool {
        settled.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
