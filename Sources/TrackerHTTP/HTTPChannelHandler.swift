import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TrackerCore

/// Takes requests part by part (from NIO's decoder, or handed over by `PlainRequestFastPath`) and
/// serves one at a time (parts of pipelined ones wait in a queue), enforces the body limit while
/// reading, hands the request to the responder, and writes its answer on the channel's event loop
/// whichever thread produced it.
final class HTTPChannelHandler: ChannelInboundHandler, RemovableChannelHandler, RequestPartReceiver {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: any HTTPResponder
    let maxBodyBytes: Int
    let onOversize: @Sendable () -> Void
    let accessLog: AccessLog?
    let deadline: HeaderDeadline?
    let listener: ListenerFacts
    var head: HTTPRequestHead?
    var started = ContinuousClock.now
    var body: [UInt8] = []
    var oversize = false
    /// The proxied request in progress, whose body streams instead of being collected.
    var exchange: ProxyExchange?
    /// An answer decided from the head alone; the body is read and dropped before it is sent.
    var earlyAnswer: HTTPResponse?
    var context: ChannelHandlerContext?
    /// Whether autoRead is on (backpressure and the pipelining queue turn it off).
    var reading = true
    /// A request was read in full and its answer is not out yet.
    var awaitingAnswer = false
    /// Parts of requests that came before the current one was answered (pipelining).
    var queued = CircularBuffer<HTTPServerRequestPart>()
    /// An answer's head is out and its end not yet: a malformed request then gets no 400 of its own.
    var responding = false
    /// The parser refused what follows the requests still being answered or queued: once they
    /// are, the connection gets its 400 and is closed.
    var malformedNext = false
    /// The context below NIO's response encoder on an HTTP/1 connection, where proxied answers
    /// made as bytes are written; nil on HTTP/2 streams.
    var bytesOutput: ChannelHandlerContext?
    var answers: AnswerEncoder
    static let maxQueuedParts = 64
    /// Answers up to this size are written without waiting to learn when they left (`writeBytes`).
    static let smallAnswerBytes = 16 * 1024

    init(responder: any HTTPResponder, maxBodyBytes: Int, onOversize: @escaping @Sendable () -> Void, accessLog: AccessLog?,
         deadline: HeaderDeadline? = nil, listener: ListenerFacts = ListenerFacts()) {
        self.deadline = deadline
        self.listener = listener
        self.answers = AnswerEncoder(hsts: listener.hsts)
        self.responder = responder
        self.maxBodyBytes = maxBodyBytes
        self.onOversize = onOversize
        self.accessLog = accessLog
    }

    /// The connection's event loop as the ingest queue's completion executor.
    var completions: LoopCompletions?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        completions = LoopCompletions.of(context.eventLoop)
        bytesOutput = try? context.pipeline.syncOperations.context(handlerType: HeaderDeadlineHandler.self)
    }

    /// A request the parser rejects gets a 400, after the answers to the requests before it
    /// (pipelined ones included), and the connection is closed: nothing after the error can be
    /// read as a request. (This was NIO's HTTPServerProtocolErrorHandler, which cannot see answers
    /// written as bytes. It answered at once, before answers still being made, and without the
    /// close the client waited for the header timeout and got a 408 after the 400.)
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            if awaitingAnswer || !queued.isEmpty { malformedNext = true } else { refuse(context: context) }
        }
        context.fireErrorCaught(error)
    }

    /// The 400 for a malformed request, then the close; only the close if an answer is being
    /// written (its head is out: a 400 would land inside it).
    func refuse(context: ChannelHandlerContext) {
        let channel = context.channel
        guard !responding else { return channel.close(promise: nil) }
        responding = true
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["connection": "close", "content-length": "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The peer's address as text, made once per connection rather than once per request.
    var peer: String??
    func peerIP(_ context: ChannelHandlerContext) -> String? {
        if let peer { return peer }
        let address = context.channel.remoteAddress?.ipAddress
        if address != nil { peer = .some(address) }
        return address
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Requests are answered one at a time, in order. NIO's pipelining helper did this by pausing
    /// reads after each request (two epoll_ctl calls per request, 10 % of a proxied request's
    /// cost); here parts that come early wait in a queue, and reading pauses only when it is long.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data))
    }

    /// A part from NIO's decoder (through `channelRead`) or from `PlainRequestFastPath`.
    func receive(_ part: HTTPServerRequestPart) {
        guard let context else { return }
        if awaitingAnswer || !queued.isEmpty {
            queued.append(part)
            if queued.count == Self.maxQueuedParts { setReading(false) }
            return
        }
        handle(part, context: context)
    }

    /// The answer to the current request is out: the next one may start.
    func answered() {
        awaitingAnswer = false
        guard !queued.isEmpty || malformedNext, let context else { return }
        // On the next tick, so that whoever finished this answer is done with its state first.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.drain() }
    }

    func drain() {
        guard let context else { return }
        while !awaitingAnswer, let part = queued.popFirst() {
            handle(part, context: context)
        }
        if malformedNext, !awaitingAnswer, queued.isEmpty {
            malformedNext = false
            return refuse(context: context)
        }
        if queued.count < Self.maxQueuedParts { setReading(true) }
    }

    func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.head = head
            deadline?.headReceived()
            if accessLog != nil { started = .now }
            body.removeAll(keepingCapacity: true)
            exchange = nil
            earlyAnswer = nil
            oversize = false
            switch responder.proxyDecision(for: head, peerIP: peerIP(context), secure: listener.secure) {
            case .forward(let plan)?:
                let exchange = ProxyExchange(plan: plan, head: head, client: self, loop: context.eventLoop)
                self.exchange = exchange
                return exchange.start()
            case .answer(let response)?:
                earlyAnswer = response
                return
            case nil: break
            }
            oversize = head.headers.first(name: "content-length").flatMap(Int.init).map { $0 > maxBodyBytes } ?? false
        case .body(let buffer):
            if let exchange { return exchange.clientBody(buffer) }
            guard !oversize, earlyAnswer == nil else { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                oversize = true
                body = []
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            if let exchange {
                // An exchange that already answered (before the request's end) is not awaited.
                if !exchange.finished { awaitingAnswer = true }
                return exchange.clientEnd()
            }
            guard let head else { return }
            self.head = nil
            awaitingAnswer = true
            if let earlyAnswer {
                self.earlyAnswer = nil
                return write(earlyAnswer, for: head, context: context)
            }
            if oversize {
                onOversize()
                var response = HTTPResponse.error(.payloadTooLarge, "the body is larger than \(maxBodyBytes) bytes")
                response.headers.add(name: "connection", value: "close")
                write(response, for: head, context: context)
                return
            }
            var request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body,
                                      peerIP: peerIP(context), isTLS: listener.secure)
            request.completionExecutor = completions
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            responder.respondOnWire(to: request) { answer in
                if loop.inEventLoop {
                    bound.value.0.write(answer, for: head, context: bound.value.1)
                } else {
                    loop.execute { bound.value.0.write(answer, for: head, context: bound.value.1) }
                }
            }
        }
    }

    /// A tracking answer is written from its parts when answers go out as bytes (HTTP/1).
    func write(_ answer: WireAnswer, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .tracking(let tracking) = answer, let bytesOutput, context.channel.isActive,
              let head = answers.encodeTracking(tracking, for: request, allocator: context.channel.allocator) else {
            return write(answer.response, for: request, context: context)
        }
        if let accessLog {
            logProxied(accessLog, request, status: Int(tracking.status.code), bytes: request.method == .HEAD ? 0 : tracking.body.count, context)
        }
        writeBytes(head.buffer, keepAlive: head.keepAlive, output: bytesOutput, context: context)
    }

    func write(_ response: HTTPResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            response.file?.close()
            return
        }
        if response.file == nil, let bytesOutput {
            guard let head = answers.encodeHead(response, for: request, allocator: context.channel.allocator) else {
                return write(.error(.internalServerError, "the answer had a header that cannot be sent"), for: request, context: context)
            }
            if let accessLog { log(accessLog, request, response, context) }
            return writeBytes(head.buffer, keepAlive: head.keepAlive, output: bytesOutput, context: context)
        }
        guard response.headers.allSatisfy(HeaderValidation.isValid) else {
            response.file?.close()
            return write(.error(.internalServerError, "the answer had a header that cannot be sent"), for: request, context: context)
        }
        responding = true
        let keepAlive = request.isKeepAlive && response.headers.first(name: "connection")?.lowercased() != "close"
        var headers = response.headers
        answers.addFraming(to: &headers, for: request, keepAlive: keepAlive, length: response.file?.length ?? response.body.count,
                   keptConnection: [], hasHSTS: headers.contains(name: "strict-transport-security"), hasDate: headers.contains(name: "date"))
        // Logged before the bytes leave, so lines follow the order in which clients got answers.
        if let accessLog { log(accessLog, request, response, context) }
        let responseHead = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if let file = response.file {
            if request.method == .HEAD {
                file.close()
            } else if listener.secure {
                // sendfile cannot go through TLS: the file is read in chunks and encrypted.
                return streamFile(file, keepAlive: keepAlive, context: context)
            } else {
                let region = FileRegion(fileHandle: file.handle, readerIndex: file.offset, endIndex: file.offset + file.length)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in file.close() }
                context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
            }
        } else if request.method != .HEAD, !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        end(keepAlive: keepAlive, context: context)
    }

    func writeBytes(_ bytes: ByteBuffer, keepAlive: Bool, output: ChannelHandlerContext, context: ChannelHandlerContext) {
        responding = false
        // A small answer on a connection that stays open is done once handed to the socket: no
        // promise, future and callback per request (they were three allocations of every
        // tracking answer). A client that does not read it is closed by the idle timeout, as
        // nginx's send_timeout would.
        if keepAlive, bytes.readableBytes <= Self.smallAnswerBytes {
            output.writeAndFlush(NIOAny(bytes), promise: nil)
            deadline?.answered()
            answered()
            deadline?.written()
            return
        }
        let done = output.writeAndFlush(NIOAny(bytes))
        deadline?.answered()
        answered()
        finish(done, close: !keepAlive, channel: context.channel)
    }

    func end(keepAlive: Bool, context: ChannelHandlerContext) {
        responding = false
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        deadline?.answered()
        answered()
        finish(done, close: !keepAlive, channel: context.channel)
    }

    /// A file over TLS or HTTP/2: read off the event loop, each chunk written once the previous
    /// one left (so a slow client holds one chunk, not the file).
    func streamFile(_ file: FileBody, keepAlive: Bool, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let region = FileRegion(fileHandle: file.handle, readerIndex: file.offset, endIndex: file.offset + file.length)
        NonBlockingFileIO(threadPool: .singleton).readChunked(
            fileRegion: region, chunkSize: 64 * 1024, allocator: context.channel.allocator, eventLoop: loop
        ) { chunk in
            let (handler, context) = bound.value
            return context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(chunk))))
        }.assumeIsolated().whenComplete { result in
            file.close()
            let (handler, context) = bound.value
            switch result {
            case .success: handler.end(keepAlive: keepAlive, context: context)
            case .failure: context.close(promise: nil)
            }
        }
    }

    func log(_ accessLog: AccessLog, _ request: HTTPRequestHead, _ response: HTTPResponse, _ context: ChannelHandlerContext) {
        logProxied(accessLog, request, status: Int(response.status.code),
                   bytes: request.method == .HEAD ? 0 : response.file?.length ?? response.body.count, context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.clientReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange?.clientClosed()
        exchange = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.clientWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    /// Once the answer's last byte is out, the connection may idle (or is closed).
    func finish(_ done: EventLoopFuture<Void>, close: Bool, channel: any Channel) {
        let deadline = self.deadline
        let secure = listener.secure
        done.assumeIsolated().whenComplete { _ in
            if close {
                if let deadline, !secure { Self.lingeringClose(channel, deadline: deadline) } else { channel.close(promise: nil) }
            }
            deadline?.written()
        }
    }

    /// Closes our side and reads (and drops) what the client still sends for about 2 s, as
    /// nginx's lingering close: a client still uploading a body we refused (413) then reads our
    /// answer instead of getting a reset that would destroy it. A client that closes ends it at
    /// once; the connection's own check ends it otherwise (`HeaderDeadline.lingerUntil`). A
    /// timer per connection made every close cost a search of the event loop's timers: a third
    /// of the loop's time on a file or proxy served to clients that do not keep connections.
    static func lingeringClose(_ channel: any Channel, deadline: HeaderDeadline) {
        let shut = channel.eventLoop.makePromise(of: Void.self)
        channel.close(mode: .output, promise: shut)
        shut.futureResult.whenFailure { _ in channel.close(promise: nil) }
        deadline.lingerUntil = .now() + TimeAmount.seconds(Int64(2))
    }
}
