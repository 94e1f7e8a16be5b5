import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 connection to an upstream server, made on the client's event loop so that both
/// sides of an exchange run on one thread without hops. Between exchanges it waits in its
/// upstream's idle pool; its idle timer closes it there.
/// `@unchecked Sendable`: `exchange` is read and written on `channel.eventLoop` only.
final class UpstreamConnection: @unchecked Sendable {
    let channel: any Channel
    let upstream: Upstream
    /// The exchange this connection serves now; nil while idle.
    var exchange: ProxyExchange?
    /// Exchanges served so far: a failure on a reused connection may be a stale keep-alive.
    var uses = 0
    var reading = true
    /// Whether the last answer allows another request on this connection.
    var keepAlive = true
    let handler: UpstreamHandler
    /// The request being sent has a chunked body.
    var chunked = false
    /// When the request was sent in full and no answer has begun since; checked by a watchdog,
    /// one repeating task per connection instead of a timer per request.
    var awaitingSince: NIODeadline?
    /// Bytes last went either way; a connection quiet for the idle timeout is closed, in the pool
    /// or mid-answer (not while an answer is awaited: that is the response timeout's).
    var lastActivity = NIODeadline.now()

    init(channel: any Channel, upstream: Upstream, handler: UpstreamHandler) {
        self.channel = channel
        self.upstream = upstream
        self.handler = handler
    }

    func watch(responseTimeout: TimeAmount, idleTimeout: TimeAmount) {
        let every = TimeAmount.nanoseconds(max(min(responseTimeout.nanoseconds, idleTimeout.nanoseconds) / 4, 20_000_000))
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [self] _ in
            let now = NIODeadline.now()
            if let since = awaitingSince {
                guard now - since >= responseTimeout, let exchange else { return }
                awaitingSince = nil
                exchange.upstreamFailed(self, .responseTimeout)
            } else if now - lastActivity >= idleTimeout {
                if let exchange { exchange.upstreamFailed(self, .idleTimeout) }
                channel.close(promise: nil)
            }
        }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }

    /// Requests go out as bytes made here (ProxyHeaders.requestBytes), not through NIO's encoder.
    func sendHead(_ bytes: ByteBuffer, method: HTTPMethod, chunked: Bool) {
        handler.responses.write(data: .head(HTTPRequestHead(version: .http1_1, method: method, uri: "")))
        self.chunked = chunked
        write(bytes)
    }

    func sendBody(_ buffer: ByteBuffer) {
        guard chunked else { return write(buffer) }
        // An empty chunk would end the body.
        guard buffer.readableBytes > 0 else { return }
        write(ByteBuffer(string: String(buffer.readableBytes, radix: 16) + "\r\n"))
        write(buffer)
        write(Self.crlf)
    }

    func sendEnd() {
        if chunked { write(Self.lastChunk) }
        chunked = false
    }

    static let crlf = ByteBuffer(string: "\r\n")
    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    func write(_ bytes: ByteBuffer) {
        lastActivity = .now()
        handler.context?.write(handler.wrapOutboundOut(bytes), promise: nil)
    }

    func flush() {
        handler.context?.flush()
    }

    func setReading(_ on: Bool) {
        guard on != reading else { return }
        reading = on
        try? channel.syncOptions?.setOption(.autoRead, value: on)
    }

    static func connect(to upstream: Upstream, on loop: any EventLoop, timeout: TimeAmount, idleTimeout: TimeAmount,
                        responseTimeout: TimeAmount, tls: NIOSSLContext?) -> EventLoopFuture<UpstreamConnection> {
        let address = upstream.address
        return ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let serverName = address.host.contains(":") || address.host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : address.host
                        try sync.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    // Requests are written as bytes (no encoder); the parser learns each method from the connection.
                    let responses = HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)
                    try sync.addHandler(ByteToMessageHandler(UpstreamResponseDecoder(parser: responses)))
                    try sync.addHandler(UpstreamHandler(responses: responses), name: "upstream")
                }
            }
            .connect(host: address.host, port: address.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                let connection = UpstreamConnection(channel: channel, upstream: upstream, handler: handler)
                handler.connection = connection
                connection.watch(responseTimeout: responseTimeout, idleTimeout: idleTimeout)
                return connection
            }
    }
}

/// Passes the upstream's response parts and connection events to the exchange in progress.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = ByteBuffer

    weak var connection: UpstreamConnection?
    var context: ChannelHandlerContext?
    /// The response parser, told each request's method (a HEAD answer has no body).
    let responses: HTTPResponseDecoder

    init(responses: HTTPResponseDecoder) {
        self.responses = responses
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = connection?.exchange else {
            // An idle connection must not speak: close it rather than hand its bytes to the next one.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head): exchange.upstreamHead(head)
        case .body(let body): exchange.upstreamBody(body)
        case .end: exchange.upstreamEnd()
        }
    }

    /// Body parts are written as they come and flushed once per read batch.
    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.lastActivity = .now()
        connection?.exchange?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.exchange?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connection {
            if let exchange = connection.exchange { exchange.upstreamFailed(connection, .closed) }
            else { connection.upstream.forget(connection) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// NIO's response parser without its watch on outgoing writes, which expects request parts: the
/// connection writes bytes and tells the parser each request's method itself.
struct UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart
    let parser: HTTPResponseDecoder

    func decoderAdded(context: ChannelHandlerContext) { parser.decoderAdded(context: context) }
    func decoderRemoved(context: ChannelHandlerContext) { parser.decoderRemoved(context: context) }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try parser.decode(context: context, buffer: &buffer)
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try parser.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
