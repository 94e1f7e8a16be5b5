import NIOCore
import NIOHTTP1

/// Takes request parts handed over directly (`PlainRequestFastPath`), as if they had come through
/// the pipeline.
protocol RequestPartReceiver: AnyObject {
    func receive(_ part: HTTPServerRequestPart)
}

/// In front of NIO's request decoder on HTTP/1 connections: a read that starts with whole plain
/// requests (`PlainRequestParser`) has them handed to the request handler directly, as the parts
/// the decoder would give, without the decoder's buffering and parser callbacks and three
/// messages through the pipeline per request (together a tenth of the event loop's time under the
/// tracking benchmark). The rest of the read goes to the decoder; from then on every byte does,
/// since the decoder may hold the start of a request.
final class PlainRequestFastPath: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let parser: PlainRequestParser
    weak var receiver: (any RequestPartReceiver)?
    /// Bytes went to NIO's decoder: all that follow must too.
    private(set) var deferring = false

    init(parser: PlainRequestParser, receiver: any RequestPartReceiver) {
        self.parser = parser
        self.receiver = receiver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !deferring, let receiver else { return context.fireChannelRead(data) }
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0, let request = buffer.withUnsafeReadableBytes({ parser.request(in: $0) }) {
            buffer.moveReaderIndex(forwardBy: request.length - request.bodyLength)
            let body = request.bodyLength > 0 ? buffer.readSlice(length: request.bodyLength) : nil
            receiver.receive(.head(request.head))
            if let body { receiver.receive(.body(body)) }
            receiver.receive(.end(nil))
        }
        guard buffer.readableBytes > 0 else { return }
        deferring = true
        context.fireChannelRead(wrapInboundOut(buffer))
    }
}
