import NIOCore

/// A connection's two clocks. A request's head must be complete within `timeout` of its first
/// byte, or the connection gets a 408 and is closed: a slowloris client that trickles header bytes
/// keeps an idle timer alive forever, this one not. And a connection with nothing to do (no
/// request being read or answered, no answer still being written) for the idle timeout is closed.
/// Shared by the byte-level `HeaderDeadlineHandler` (first byte, last read) and
/// `HTTPChannelHandler` (head parsed, answer written); used only on the channel's event loop.
final class HeaderDeadline {
    /// When the first byte of a head still being read arrived.
    var startedAt: NIODeadline?
    var awaitingRequest = true
    /// Requests being read, answered or their answers written (pipelined ones overlap).
    var busy = 0
    var lastRead = NIODeadline.now()
    /// Set when our side of the connection was closed lingering: closed whole after this.
    var lingerUntil: NIODeadline?

    func headReceived() {
        startedAt = nil
        busy += 1
    }

    func answered() {
        awaitingRequest = true
    }

    /// The answer's last byte left (or failed to).
    func written() {
        busy = max(0, busy - 1)
        lastRead = .now()
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
    /// A head that did not arrive in time (the direct lanes send the same).
    static let timeoutAnswer: StaticString = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    let idleTimeout: TimeAmount
    var check: RepeatedTask?

    init(deadline: HeaderDeadline, timeout: TimeAmount, idleTimeout: TimeAmount) {
        self.deadline = deadline
        self.timeout = timeout
        self.idleTimeout = idleTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let every = TimeAmount.nanoseconds(max(min(timeout.nanoseconds, idleTimeout.nanoseconds) / 4, 50_000_000))
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            let (handler, context) = bound.value
            let deadline = handler.deadline, now = NIODeadline.now()
            if let linger = deadline.lingerUntil, now > linger {
                handler.check?.cancel()
                context.close(promise: nil)
            } else if deadline.lingerUntil == nil, let started = deadline.startedAt, now - started > handler.timeout {
                handler.expire(context: context)
            } else if deadline.busy == 0, deadline.startedAt == nil, now - deadline.lastRead > handler.idleTimeout {
                handler.check?.cancel()
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline.lastRead = .now()
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
        var buffer = context.channel.allocator.buffer(capacity: Self.timeoutAnswer.utf8CodeUnitCount)
        buffer.writeStaticString(Self.timeoutAnswer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }
}
