import NIOCore

/// A request's head must be complete within `timeout` of its first byte, or the connection gets a
/// 408 and is closed: a slowloris client that trickles header bytes keeps an idle timer alive
/// forever, this one not. Shared by the byte-level `HeaderDeadlineHandler` (which notes the first
/// byte) and `HTTPChannelHandler` (which clears it when the head is parsed and re-arms it after
/// each answer); used only on the channel's event loop.
final class HeaderDeadline {
    /// When the first byte of a head still being read arrived.
    var startedAt: NIODeadline?
    var awaitingRequest = true

    func headReceived() {
        startedAt = nil
    }

    func answered() {
        awaitingRequest = true
    }
}

/// Sits before the HTTP decoder and sees raw bytes. One repeating check per connection, not a
/// timer per request: scheduling and cancelling a timer for every request cost 20 % of the
/// small-file rate.
final class HeaderDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let deadline: HeaderDeadline
    let timeout: TimeAmount
    var check: RepeatedTask?

    init(deadline: HeaderDeadline, timeout: TimeAmount) {
        self.deadline = deadline
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let every = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 50_000_000))
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            let (handler, context) = bound.value
            if let started = handler.deadline.startedAt, NIODeadline.now() - started > handler.timeout {
                handler.expire(context: context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.awaitingRequest {
            deadline.awaitingRequest = false
            deadline.startedAt = .now()
        }
        context.fireChannelRead(data)
    }

    func expire(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        deadline.startedAt = nil
        let answer = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: answer.utf8.count)
        buffer.writeString(answer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }
}
