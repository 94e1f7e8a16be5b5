import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// A real HTTP/1.1 upstream for proxy tests, on a free loopback port:
/// - `/echo...` answers JSON: its name, method, URI, headers and the body's length (and checksum
///   with an `X-Checksum` header); the body is counted as it streams, never held;
/// - `/bytes/N` streams N bytes, as fast as the client takes them;
/// - `/slow/MS` answers after MS milliseconds; `/status/N` answers status N; `/html` is a page;
///   `/dated` answers with a `Date` of its own (RFC 9110's example date);
/// - `/drop` closes the connection without answering; `/stall` sends a tenth of its body and stops; `/health` is 200, or 503 when unhealthy;
/// - `/ws` is a WebSocket echo (upgraded by NIO's own server upgrader).
public final class BackendServer: Sendable {
    public let name: String
    public let port: Int
    let channel: any Channel
    let shared: Shared

    struct State {
        var requests = 0
        var healthy = true
        var connections = 0
    }

    final class Shared: Sendable {
        let state = Mutex(State())
    }

    /// With `certificate` and `key` (PEM files) it speaks HTTPS.
    public static func start(name: String, certificate: String? = nil, key: String? = nil) async throws -> BackendServer {
        let shared = Shared()
        let tls = try certificate.map { certificate in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key!, format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                shared.state.withLock { $0.connections += 1 }
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 24,
                    shouldUpgrade: { channel, head in
                        channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/ws") ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(WebSocketEcho()) }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            let sync = context.pipeline.syncOperations
                            if let handler = try? sync.handler(type: BackendHandler.self) { _ = sync.removeHandler(handler) }
                        }))
                    try channel.pipeline.syncOperations.addHandler(BackendHandler(name: name, shared: shared))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return BackendServer(name: name, port: channel.localAddress!.port!, channel: channel, shared: shared)
    }

    init(name: String, port: Int, channel: any Channel, shared: Shared) {
        self.name = name
        self.port = port
        self.channel = channel
        self.shared = shared
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var httpsURL: String { "https://localhost:\(port)" }
    public var requests: Int { shared.state.withLock(\.requests) }
    /// TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests).
    public var connections: Int { shared.state.withLock(\.connections) }

    public func setHealthy(_ healthy: Bool) {
        shared.state.withLock { $0.healthy = healthy }
    }

    public func stop() async throws {
        try await channel.close()
    }
}

final class BackendHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let shared: BackendServer.Shared
    var head: HTTPRequestHead?
    var bodyBytes = 0
    var checksum: UInt64 = 0
    var remaining = 0
    var streaming: ChannelHandlerContext?

    init(name: String, shared: BackendServer.Shared) {
        self.name = name
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyBytes = 0
            checksum = 0
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            // Per byte, so only when asked: a debug build counts 100 MB/s at most.
            if head?.headers.contains(name: "x-checksum") == true {
                for byte in buffer.readableBytesView { checksum = (checksum &* 31) &+ UInt64(byte) }
            }
        case .end:
            guard let head else { return }
            shared.state.withLock { $0.requests += 1 }
            answer(head, context: context)
        }
    }

    func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        // Commands are found after any prefix a proxy route kept (`/api/slow/100`).
        for command in ["/bytes/", "/slow/", "/status/", "/html", "/drop", "/health", "/stall", "/dated"] {
            if let range = path.range(of: command) { path = String(path[range.lowerBound...]); break }
        }
        if path == "/drop" { return context.close(promise: nil) }
        if path == "/stall" {
            // A head and a tenth of the promised body, then silence.
            let headers = HTTPHeaders([("content-type", "text/plain"), ("content-length", "100")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: 10)
            buffer.writeString("0123456789")
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            return
        }
        if path.hasPrefix("/bytes/"), let count = Int(path.dropFirst(7)) {
            var headers = HTTPHeaders([("content-type", "application/octet-stream")])
            if !head.uri.contains("chunked") { headers.add(name: "content-length", value: String(count)) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            remaining = count
            streaming = context
            return pump(context)
        }
        if path.hasPrefix("/slow/"), let ms = Int64(path.dropFirst(6)) {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(ms)) {
                bound.value.0.send(.ok, "slow \(bound.value.0.name)", type: "text/plain", head, bound.value.1)
            }
            return
        }
        if path.hasPrefix("/status/"), let code = Int(path.dropFirst(8)) {
            return send(HTTPResponseStatus(statusCode: code), "status \(code)", type: "text/plain", head, context)
        }
        if path == "/dated" { return send(.ok, "dated", type: "text/plain", head, context, date: "Sun, 06 Nov 1994 08:49:37 GMT") }
        if path == "/html" { return send(.ok, "<!doctype html><title>\(name)</title>", type: "text/html; charset=utf-8", head, context) }
        if path == "/health" {
            let healthy = shared.state.withLock(\.healthy)
            return send(healthy ? .ok : .serviceUnavailable, healthy ? "ok" : "down", type: "text/plain", head, context)
        }
        var json: [String: Any] = ["name": name, "method": head.method.rawValue, "uri": head.uri,
                                   "bodyBytes": bodyBytes, "checksum": String(checksum)]
        var headers: [String: [String]] = [:]
        for (key, value) in head.headers { headers[key.lowercased(), default: []].append(value) }
        json["headers"] = headers
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        send(.ok, String(decoding: data, as: UTF8.self), type: "application/json", head, context)
    }

    func send(_ status: HTTPResponseStatus, _ body: String, type: String, _ request: HTTPRequestHead, _ context: ChannelHandlerContext,
              date: String? = nil) {
        var headers = HTTPHeaders([("content-type", type), ("content-length", String(body.utf8.count)), ("x-backend", name)])
        if let date { headers.add(name: "date", value: date) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if status.mayHaveResponseBody {
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes while the socket takes it; resumes when it becomes writable again.
    func pump(_ context: ChannelHandlerContext) {
        let chunk = 64 * 1024
        while remaining > 0, context.channel.isWritable {
            let size = min(chunk, remaining)
            var buffer = context.channel.allocator.buffer(capacity: size)
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: size)
            remaining -= size
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if remaining == 0, streaming != nil {
            streaming = nil
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streaming != nil, context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }
}

/// Echoes text and binary frames; answers pings; closes when asked.
final class WebSocketEcho: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)))
                .whenComplete { _ in channel.close(promise: nil) }
        default: break
        }
    }
}
