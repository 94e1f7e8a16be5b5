import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS
import TrackerTLS

/// The HTTPS side of a listener: where certificates come from and how TLS is negotiated.
public struct TLSListener: Sendable {
    public var store: CertificateStore
    public var settings: TLSSettings
    /// The Strict-Transport-Security value sent on every HTTPS answer; nil sends none.
    public var hsts: String?
    /// Obtains a certificate for a name no certificate covers (nil: not allowed, or failed).
    public var onDemand: (@Sendable (String) async -> NIOSSLContext?)?

    public init(store: CertificateStore, settings: TLSSettings, hsts: String? = nil,
                onDemand: (@Sendable (String) async -> NIOSSLContext?)? = nil) {
        self.store = store
        self.settings = settings
        self.hsts = hsts
        self.onDemand = onDemand
    }

    /// The certificate for a ClientHello: from the store, or obtained while the handshake waits.
    func choose(_ hello: ClientHello, on loop: any EventLoop) -> ClientHelloHandler.Choice {
        switch store.lookup(hello) {
        case .covered(let context): return .ready(context)
        case .uncovered(let name?, let fallback):
            guard let onDemand else { return .ready(fallback) }
            let promise = loop.makePromise(of: NIOSSLContext?.self)
            promise.completeWithTask { await onDemand(name) ?? fallback }
            return .pending(promise.futureResult)
        case .uncovered(nil, let fallback): return .ready(fallback)
        }
    }
}

/// Builds each accepted connection's pipeline. Plain: deadlines, HTTP/1.1 codec, the handler.
/// TLS: the ClientHello picks the certificate, then ALPN picks HTTP/2 (a stream per request, each
/// with the same handler behind an HTTP/1 view) or HTTP/1.1 (as plain, inside TLS).
struct ConnectionSetup: Sendable {
    let responder: any HTTPResponder
    let maxBodyBytes: Int
    let onOversize: @Sendable () -> Void
    let accessLog: AccessLog?
    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let maxHeaderBytes: Int
    let tls: TLSListener?

    var limits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeaderBytes
        limits.maxHeaderListSize = maxHeaderBytes
        return limits
    }

    var facts: ListenerFacts { ListenerFacts(secure: tls != nil, hsts: tls?.hsts) }

    func initialize(_ channel: any Channel) throws {
        guard let tls else { return try http1(channel.pipeline.syncOperations) }
        // The handshake gets as long as a request's head would: a client that opens and says
        // nothing, or stalls mid-handshake, is closed. One whose certificate is being obtained
        // on demand waits for the CA (a minute at most) instead.
        let handshakeTimer = NIOLoopBoundBox<Scheduled<Void>?>(nil, eventLoop: channel.eventLoop)
        let hello = ClientHelloHandler(
            select: { hello, loop in
                let choice = tls.choose(hello, on: loop)
                if case .pending = choice {
                    handshakeTimer.value?.cancel()
                    handshakeTimer.value = loop.scheduleTask(in: TimeAmount.seconds(Int64(60))) { channel.close(promise: nil) }
                }
                return choice
            },
            proceed: { context, sslContext in
                let pipeline = context.pipeline.syncOperations
                try pipeline.addHandler(NIOSSLServerHandler(context: sslContext))
                try pipeline.addHandler(ApplicationProtocolNegotiationHandler { result, channel in
                    handshakeTimer.value?.cancel()
                    return channel.eventLoop.makeCompletedFuture {
                        switch result {
                        case .negotiated("h2"): try self.http2(channel)
                        case .negotiated(CertificateStore.acmeProtocol): channel.close(promise: nil)
                        default: try self.http1(channel.pipeline.syncOperations)
                        }
                    }
                })
            })
        handshakeTimer.value = channel.eventLoop.scheduleTask(in: headerTimeout) { channel.close(promise: nil) }
        try channel.pipeline.syncOperations.addHandler(hello)
    }

    func http1(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        let deadline = HeaderDeadline()
        try pipeline.addHandler(HeaderDeadlineHandler(deadline: deadline, timeout: headerTimeout, idleTimeout: idleTimeout))
        // NIO's server pipeline without its helpers: pipelined requests are queued by
        // HTTPChannelHandler, which also answers malformed requests (400) and checks the headers
        // of its own answers; proxied answers' headers were checked by the upstream's parser.
        // The decoder does not tell the encoder request methods: no answer to HEAD is given a body.
        // Whole plain requests go around the decoder (`PlainRequestFastPath`), straight to the handler.
        try pipeline.addHandler(HTTPResponseEncoder(configuration: .init()))
        let handler = HTTPChannelHandler(responder: responder, maxBodyBytes: maxBodyBytes, onOversize: onOversize,
                                         accessLog: accessLog, deadline: deadline, listener: facts)
        try pipeline.addHandler(PlainRequestFastPath(parser: PlainRequestParser(limits: limits), receiver: handler))
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
        try pipeline.addHandler(handler)
    }

    func http2(_ channel: any Channel) throws {
        let facts = self.facts
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 250),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maxHeaderBytes),
        ]
        // Streams are not read past their window: a stream's handler turns autoRead off for backpressure.
        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: .init(),
            streamDelegate: HTTP2IdleWatch(channel: channel, idleTimeout: idleTimeout)
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let pipeline = stream.pipeline.syncOperations
                try pipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try pipeline.addHandler(HTTPChannelHandler(responder: responder, maxBodyBytes: maxBodyBytes, onOversize: onOversize,
                                                           accessLog: accessLog, deadline: nil, listener: facts))
            }
        }
    }
}

/// Closes an HTTP/2 connection that has had no open stream for the idle timeout: as with
/// HTTP/1.1, a request in progress (a slow upstream, a long download) is never idle. Told of
/// streams by NIOHTTP2 (its inline multiplexer keeps stream events to itself); used on the
/// connection's event loop only.
final class HTTP2IdleWatch: NIOHTTP2StreamDelegate, @unchecked Sendable {
    let idleTimeout: TimeAmount
    var openStreams = 0
    var idleSince = NIODeadline.now()

    init(channel: any Channel, idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        let every = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 4, 50_000_000))
        let check = channel.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [self] task in
            if openStreams == 0, NIODeadline.now() - idleSince > self.idleTimeout {
                task.cancel()
                channel.close(promise: nil)
            }
        }
        channel.closeFuture.whenComplete { _ in check.cancel() }
    }

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        openStreams += 1
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        openStreams = max(0, openStreams - 1)
        if openStreams == 0 { idleSince = .now() }
    }
}
