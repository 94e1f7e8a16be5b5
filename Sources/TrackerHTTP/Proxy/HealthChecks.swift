import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import TrackerConfig

/// Active health checks: each upstream of a route with `HealthCheck` is asked for its path on an
/// interval, on a fresh connection; a failed probe (no connection, timeout, status ≥ 400) takes
/// it out of the pool until a probe passes again.
public struct HealthCheckService: Service {
    let table: ProxyTable
    let group: any EventLoopGroup
    let logger: Logger

    public init(table: ProxyTable, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.table = table
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                for route in table.routes {
                    guard let check = route.configuration.healthCheck else { continue }
                    for upstream in route.upstreams {
                        tasks.addTask { await probeForever(upstream, route: route, check: check) }
                    }
                }
                // Stays until shutdown even with nothing to probe, so the idle pools are closed then.
                tasks.addTask { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) } }
            }
        }
        table.shutdown()
    }

    func probeForever(_ upstream: Upstream, route: ProxyRoute, check: ProxyRouteConfiguration.HealthCheck) async {
        var wasUp = true
        while !Task.isCancelled {
            let up = await HealthProbe.status(of: upstream.address, path: check.path, timeout: .seconds(check.timeoutSeconds),
                                              tls: route.tls, group: group).map { $0 < 400 } ?? false
            upstream.setActiveHealth(up: up)
            if up != wasUp {
                logger.warning("upstream \(upstream.address) of route \(route.name) is \(up ? "up" : "down") (active check \(check.path))")
                wasUp = up
            }
            try? await Task.sleep(for: .seconds(check.intervalSeconds))
        }
    }
}

/// One GET on a new connection; the answer's status, or nil when none came in time.
enum HealthProbe {
    static func status(of address: UpstreamAddress, path: String, timeout: TimeAmount, tls: NIOSSLContext?,
                       group: any EventLoopGroup) async -> Int? {
        let loop = group.next()
        let result = loop.makePromise(of: Int.self)
        let deadline = loop.scheduleTask(in: timeout) { result.fail(ChannelError.connectTimeout(timeout)) }
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ProbeHandler(host: address.authority, path: path, result: result))
                }
            }
            .connect(host: address.host, port: address.port)
        connected.whenFailure { result.fail($0) }
        let status = try? await result.futureResult.get()
        deadline.cancel()
        if let channel = try? await connected.get() { try? await channel.close() }
        return status
    }
}

final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let path: String
    let result: EventLoopPromise<Int>

    init(host: String, path: String, result: EventLoopPromise<Int>) {
        self.host = host
        self.path = path
        self.result = result
    }

    func channelActive(context: ChannelHandlerContext) {
        let headers: HTTPHeaders = ["host": host, "user-agent": "tracker-health-check", "connection": "close"]
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { result.succeed(Int(head.status.code)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        result.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.fail(error)
        context.close(promise: nil)
    }
}
