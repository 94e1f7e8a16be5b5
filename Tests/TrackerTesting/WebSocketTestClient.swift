import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client built on NIO's own client upgrader (not ours): connects, upgrades, sends
/// masked frames and hands back the text of the frames it receives.
public final class WebSocketTestClient: Sendable {
    let channel: any Channel
    public let messages: AsyncStream<String>

    public struct UpgradeFailed: Error {}

    public static func connect(port: Int, path: String, host: String = "localhost") async throws -> WebSocketTestClient {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let upgraded = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        _ = sync.removeHandler(try sync.handler(type: RequestSender.self))
                        try sync.addHandler(FrameCollector(continuation: continuation))
                        upgraded.succeed()
                    }
                })
                return channel.eventLoop.makeCompletedFuture {
                    let request = RequestSender(host: host, path: path, failed: upgraded)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await upgraded.futureResult.get()
        return WebSocketTestClient(channel: channel, messages: stream)
    }

    init(channel: any Channel, messages: AsyncStream<String>) {
        self.channel = channel
        self.messages = messages
    }

    public func send(_ text: String) async throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        try await channel.writeAndFlush(frame)
    }

    public func close() async throws {
        try await channel.close()
    }
}

/// Sends the upgrade request once connected; fails the upgrade if a plain answer comes back.
final class RequestSender: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let path: String
    let failed: EventLoopPromise<Void>

    init(host: String, path: String, failed: EventLoopPromise<Void>) {
        self.host = host
        self.path = path
        self.failed = failed
    }

    func channelActive(context: ChannelHandlerContext) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: ["host": host, "content-length": "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        failed.fail(WebSocketTestClient.UpgradeFailed())
    }
}

final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let continuation: AsyncStream<String>.Continuation

    init(continuation: AsyncStream<String>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .text {
            var data = frame.unmaskedData
            continuation.yield(data.readString(length: data.readableBytes) ?? "")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
