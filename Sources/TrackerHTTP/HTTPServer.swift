import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The listening socket and its connections, as a ServiceLifecycle service. On graceful shutdown it
/// stops accepting, lets requests in flight finish (bounded), then closes.
public final class HTTPServer: Service, Sendable {
    let host: String
    let port: Int
    let responder: any HTTPResponder
    let maxBodyBytes: Int
    let idleTimeout: TimeAmount
    let group: any EventLoopGroup
    let limiter: ConcurrencyLimiter?
    let onOversize: @Sendable () -> Void
    let accessLog: AccessLog?
    let headerTimeout: TimeAmount
    let maxHeaderBytes: Int
    let logger: Logger
    /// Set for the HTTPS listener.
    let tls: TLSListener?
    let bound = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

    public init(host: String, port: Int, responder: any HTTPResponder, maxBodyBytes: Int, idleTimeoutSeconds: Double,
                group: any EventLoopGroup, limiter: ConcurrencyLimiter? = nil,
                onOversize: @escaping @Sendable () -> Void = {}, accessLog: AccessLog? = nil,
                headerTimeoutSeconds: Double = 10, maxHeaderBytes: Int = 80 * 1024, tls: TLSListener? = nil, logger: Logger) {
        self.tls = tls
        self.maxHeaderBytes = maxHeaderBytes
        self.headerTimeout = .milliseconds(Int64(headerTimeoutSeconds * 1000))
        self.host = host
        self.port = port
        self.responder = responder
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = .milliseconds(Int64(idleTimeoutSeconds * 1000))
        self.group = group
        self.limiter = limiter
        self.onOversize = onOversize
        self.accessLog = accessLog
        self.logger = logger
    }

    /// The port bound, once it is.
    public var currentPort: Int? { bound.withLock { $0.port } }

    /// The port actually bound (useful with port 0 in tests).
    public func boundPort() async -> Int {
        await withCheckedContinuation { continuation in
            let port: Int? = bound.withLock { state in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }

    public func run() async throws {
        let setup = ConnectionSetup(
            responder: responder, maxBodyBytes: maxBodyBytes, onOversize: onOversize, accessLog: accessLog,
            headerTimeout: headerTimeout, idleTimeout: idleTimeout, maxHeaderBytes: maxHeaderBytes, tls: tls)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try setup.initialize(channel) }
            }
            .bind(host: host, port: port)
            .get()
        let actualPort = channel.localAddress?.port ?? port
        let waiters = bound.withLock { state in
            state.port = actualPort
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: actualPort) }
        logger.notice("tracker listening on \(tls == nil ? "http" : "https")://\(host):\(actualPort)")

        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        await drainInFlight()
    }

    /// Waits up to 10 s for counted requests to finish after the listener closed.
    func drainInFlight() async {
        guard let limiter else { return }
        for _ in 0..<200 where limiter.current > 0 {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
