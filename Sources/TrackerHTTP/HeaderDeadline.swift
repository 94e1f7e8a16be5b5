import NIOCore

/// A request's head must be complete within `timeout` of its first byte, or the connection gets a
/// 408 and is closed: a slowloris client that trickles header bytes keeps an idle timer alive
/// forever, this one not. Shared by the byte-level `HeaderDeadlineHandler` (which starts the clock)
/// and `HTTPChannelHandler` (which stops it when the head is parsed and re-arms it after each
/// answer); used only on the channel's event loop.
final class HeaderDeadline {
    var timer: Scheduled<Void>?
    var awaitingRequest = true

    func headReceived() {
        timer?.cancel()
        timer = nil
    }

    func answered() {
        awaitingRequest = true
    }
}

/// Sits before the HTTP decoder and sees raw bytes.
final class HeaderDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let deadline: HeaderDeadline
    let timeout: TimeAmount

    init(deadline: HeaderDeadline, timeout: TimeAmount) {
        self.deadline = deadline
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.awaitingRequest {
            deadline.awaitingRequest = false
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            deadline.timer = context.eventLoop.scheduleTask(in: timeout) {
                bound.value.0.expire(context: bound.value.1)
            }
        }
        context.fireChannelRead(data)
    }

    func expire(context: ChannelHandlerContext) {
        deadline.timer = nil
        let answer = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: answer.utf8.count)
        buffer.writeString(answer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline.timer?.cancel()
        context.fireChannelInactive()
    }
}
