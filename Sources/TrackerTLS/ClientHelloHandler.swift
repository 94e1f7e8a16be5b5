import NIOCore
import NIOSSL

/// First handler of a TLS connection: holds the bytes until the ClientHello is complete, asks for
/// the context that fits its name and protocols (at once, or later when a certificate is being
/// obtained on demand), lets `proceed` add the TLS handler (and what follows it) behind itself,
/// replays the bytes and leaves the pipeline.
public final class ClientHelloHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public enum Choice {
        case ready(NIOSSLContext?)
        /// The handshake waits for this (a certificate obtained on demand).
        case pending(EventLoopFuture<NIOSSLContext?>)
    }

    enum State { case reading, waiting, done }

    let select: (ClientHello, any EventLoop) -> Choice
    let proceed: (ChannelHandlerContext, NIOSSLContext) throws -> Void
    var buffered: ByteBuffer?
    var state = State.reading

    public init(select: @escaping (ClientHello, any EventLoop) -> Choice,
                proceed: @escaping (ChannelHandlerContext, NIOSSLContext) throws -> Void) {
        self.select = select
        self.proceed = proceed
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard state != .done else { return context.fireChannelRead(data) }
        if buffered == nil { buffered = incoming } else { buffered!.writeBuffer(&incoming) }
        guard state == .reading, let bytes = buffered else { return }
        switch ClientHello.parse(bytes.readableBytesView) {
        case .incomplete:
            if bytes.readableBytes > ClientHello.maxLength + 4096 { context.close(promise: nil) }
        case .invalid:
            refuse(context: context, plainHTTP: Self.looksLikeHTTP(bytes))
        case .hello(let hello):
            switch select(hello, context.eventLoop) {
            case .ready(let tls): start(tls, context: context)
            case .pending(let future):
                state = .waiting
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                future.whenComplete { result in
                    let (handler, context) = bound.value
                    handler.start(try? result.get(), context: context)
                }
            }
        }
    }

    func start(_ tls: NIOSSLContext?, context: ChannelHandlerContext) {
        guard context.channel.isActive, let tls, let bytes = buffered else { return context.close(promise: nil) }
        state = .done
        do {
            try proceed(context, tls)
        } catch {
            return context.close(promise: nil)
        }
        buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// A plain HTTP request on the TLS port gets told so (as nginx does), anything else a close.
    func refuse(context: ChannelHandlerContext, plainHTTP: Bool) {
        state = .done
        buffered = nil
        guard plainHTTP else { return context.close(promise: nil) }
        let body = "{\"error\":\"a plain HTTP request was sent to the HTTPS port\"}"
        let answer = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: answer))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    static func looksLikeHTTP(_ bytes: ByteBuffer) -> Bool {
        let head = bytes.getString(at: bytes.readerIndex, length: min(8, bytes.readableBytes)) ?? ""
        return ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "].contains { head.hasPrefix($0) || $0.hasPrefix(head) && head.count >= 3 }
    }
}
