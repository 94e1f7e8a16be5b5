import Foundation
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
    /// A plain listener's requests answered from memory are served by `DirectLane`s.
    let directLanes: Bool
    let bound = Mutex(BindState.waiting([]))

    /// Whether the listener is up: who waits for its port learns of a failed bind too, instead of
    /// waiting forever (a test or the ACME service waiting on a port someone else took).
    enum BindState {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(any Error)
    }

    public init(host: String, port: Int, responder: any HTTPResponder, maxBodyBytes: Int, idleTimeoutSeconds: Double,
                group: any EventLoopGroup, limiter: ConcurrencyLimiter? = nil,
                onOversize: @escaping @Sendable () -> Void = {}, accessLog: AccessLog? = nil,
                headerTimeoutSeconds: Double = 10, maxHeaderBytes: Int = 80 * 1024, tls: TLSListener? = nil,
                directLanes: Bool = true, logger: Logger) {
        self.tls = tls
        self.directLanes = directLanes
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
    public var currentPort: Int? { bound.withLock { if case .bound(let port) = $0 { port } else { nil } } }

    /// The port actually bound (useful with port 0 in tests); throws what made the bind fail.
    public func boundPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let known: Result<Int, any Error>? = bound.withLock { state in
                switch state {
                case .bound(let port): return .success(port)
                case .failed(let error): return .failure(error)
                case .waiting(let waiters):
                    state = .waiting(waiters + [continuation])
                    return nil
                }
            }
            if let known { continuation.resume(with: known) }
        }
    }

    /// Settles the bind once and resumes whoever waits for it.
    private func settle(_ outcome: Result<Int, any Error>) {
        let waiters = bound.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            switch outcome {
            case .success(let port): state = .bound(port)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        waiters.forEach { $0.resume(with: outcome) }
    }

    public func run() async throws {
        do {
            try await serve()
        } catch {
            settle(.failure(error))
            throw error
        }
    }

    private func serve() async throws {
        let setup = ConnectionSetup(
            responder: responder, maxBodyBytes: maxBodyBytes, onOversize: onOversize, accessLog: accessLog,
            headerTimeout: headerTimeout, idleTimeout: idleTimeout, maxHeaderBytes: maxHeaderBytes, tls: tls)
        if tls == nil, directLanes, responder.hasInMemoryRoutes { return try await serveDirect(setup) }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try setup.initialize(channel) }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw ListenError(host: host, port: port, underlying: error)
        }
        let actualPort = channel.localAddress?.port ?? port
        settle(.success(actualPort))
        logger.notice("tracker listening on \(tls == nil ? "http" : "https")://\(host):\(actualPort)")

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        await drainInFlight()
    }

    private func serveDirect(_ setup: ConnectionSetup) async throws {
        let serving = DirectServing(
            responder: responder, parser: PlainRequestParser(limits: setup.limits, takesClosing: true), maxBodyBytes: maxBodyBytes,
            maxHeaderBytes: maxHeaderBytes, headerTimeout: UInt64(headerTimeout.nanoseconds),
            idleTimeout: UInt64(idleTimeout.nanoseconds), accessLog: accessLog
        ) { fd, bytes, loop in
            _ = ClientBootstrap(group: loop)
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DirectReplay(bytes))
                        try setup.initialize(channel)
                    }
                }
                .withConnectedSocket(fd)
        }
        let listener: DirectListener
        do {
            listener = try DirectListener(host: host, port: port, backlog: 1024, serving: serving, loops: Array(group.makeIterator()))
        } catch {
            throw ListenError(host: host, port: port, underlying: error)
        }
        settle(.success(listener.port))
        logger.notice("tracker listening on http://\(host):\(listener.port)")
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await listener.stopRequested()
            } onGracefulShutdown: {
                listener.stop()
            }
        } onCancel: {
            listener.stop()
        }
        await drainInFlight()
        listener.closeAll()
        await listener.stopped()
    }

    /// Waits up to 10 s for counted requests to finish after the listener closed.
    func drainInFlight() async {
        guard let limiter else { return }
        for _ in 0..<200 where limiter.current > 0 {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A listener that could not open its port, said so that the operator knows which and why.
public struct ListenError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let underlying: any Error

    public var description: String {
        let reason = (underlying as? IOError).map { $0.errnoCode == EADDRINUSE ? "the address is already in use" : "\($0)" } ?? "\(underlying)"
        return "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(port): \(reason)"
    }
}
