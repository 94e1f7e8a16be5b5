import NIOCore
import NIOHTTP1

/// After a `101 Switching Protocols` (WebSocket), the two connections are joined byte for byte:
/// what one side reads the other writes, each side stops reading while the other cannot take
/// more, and when one closes so does the other. No timeout cuts a quiet socket (upstream's did).
final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: TunnelHandler?
    var context: ChannelHandlerContext?
    var pendingRead = false

    /// Two handlers that know each other; each goes into one of the channels.
    static func pair() -> (TunnelHandler, TunnelHandler) {
        let first = TunnelHandler(), second = TunnelHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(wrapOutboundOut(unwrapInboundIn(data)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        partner = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    /// Reads are held back while the partner cannot write, and resumed when it can.
    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }
}

extension HTTPChannelHandler {
    /// Takes the HTTP handlers out of both pipelines and joins the two sockets. Both channels live
    /// on one event loop, so this happens between two reads of either.
    func tunnel(to upstream: UpstreamConnection) {
        guard let context else { return upstream.channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        deadline?.answered()
        let (clientSide, upstreamSide) = TunnelHandler.pair()
        let client = context.pipeline.syncOperations
        let server = upstream.channel.pipeline.syncOperations
        let channel = context.channel
        do {
            try server.addHandler(upstreamSide)
            _ = server.removeHandler(name: "upstream")
            try client.addHandler(clientSide)
            _ = client.removeHandler(try client.handler(type: HTTPResponseEncoder.self))
            if let h = try? client.handler(type: NIOHTTPResponseHeadersValidator.self) { _ = client.removeHandler(h) }
            if let h = try? client.handler(type: HTTPServerPipelineHandler.self) { _ = client.removeHandler(h) }
            if let h = try? client.handler(type: HTTPServerProtocolErrorHandler.self) { _ = client.removeHandler(h) }
            if let h = try? client.handler(type: IdleStateHandler.self) { _ = client.removeHandler(h) }
            if let h = try? client.handler(type: HeaderDeadlineHandler.self) { _ = client.removeHandler(h) }
            if let h = try? client.handler(type: PlainRequestFastPath.self) { _ = client.removeHandler(h) }
            // The decoders go last: what they read beyond the HTTP message passes to the tunnel.
            _ = server.removeHandler(try server.handler(type: ByteToMessageHandler<UpstreamResponseDecoder>.self))
            _ = client.removeHandler(self)
            _ = client.removeHandler(try client.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self))
        } catch {
            channel.close(promise: nil)
            upstream.channel.close(promise: nil)
            return
        }
        try? channel.syncOptions?.setOption(.autoRead, value: true)
        upstream.setReading(true)
        channel.read()
        upstream.channel.read()
    }
}
