import NIOCore
import NIOHTTP1
import NIOPosix

// The reference point: a bare SwiftNIO server (NIO's own HTTP/1 pipeline and one
// handler) that answers every request with the tracking pixel, a JSON POST with 200 once its body
// is read, and does nothing else: no parsing, no events, no storage. bench/run.sh runs it beside
// nginx and tracker, so the report shows how much of nginx's rate the HTTP layer alone leaves on
// this machine, and how much of the rest is tracker's own work.
//   swift build -c release --product nio-pixel && .build/release/nio-pixel [host] [port]
let host = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "127.0.0.1"
let port = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 18083 : 18083

/// The same 43-byte GIF tracker serves.
let gif: [UInt8] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
]

final class PixelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "image/gif")
            headers.add(name: "cache-control", value: "no-store")
            headers.add(name: "content-length", value: String(gif.count))
            if !keepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: gif)))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

let group = MultiThreadedEventLoopGroup.singleton
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(PixelHandler())
        }
    }
    .bind(host: host, port: port)
    .wait()
print("nio-pixel listening on \(host):\(port)")
try channel.closeFuture.wait()
