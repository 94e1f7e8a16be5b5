import Foundation
import NIOCore
import NIOHTTP1

/// What a proxied exchange does to the client's connection: its answer goes out part by part as
/// the upstream sends it, and reading pauses while the upstream cannot take more.
extension HTTPChannelHandler {
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func setReading(_ on: Bool) {
        guard on != reading else { return }
        reading = on
        try? context?.channel.syncOptions?.setOption(.autoRead, value: on)
        // An HTTP/2 stream does not read again by itself when autoRead comes back on: frames
        // would wait until the stream closes.
        if on { context?.read() }
    }

    func proxyBody(bytes: ByteBuffer) {
        bytesOutput?.write(NIOAny(bytes), promise: nil)
    }

    func proxyHead(_ head: HTTPResponseHead) {
        responding = true
        var head = head
        if let hsts = listener.hsts, !head.headers.contains(name: "strict-transport-security") {
            head.headers.add(name: "strict-transport-security", value: hsts)
        }
        context?.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    func proxyBody(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func proxyEnd(status: Int, bytes: Int, close: Bool, direct: Bool, last: ByteBuffer? = nil) {
        guard let context, let request = exchange?.head else { return }
        if let accessLog { logProxied(accessLog, request, status: status, bytes: bytes, context) }
        responding = false
        let done = direct ? (bytesOutput ?? context).writeAndFlush(NIOAny(last ?? ByteBuffer()))
                          : context.writeAndFlush(wrapOutboundOut(.end(nil)))
        deadline?.answered()
        answered()
        finish(done, close: close, channel: context.channel)
    }

    /// An answer made here (an error) in place of the upstream's.
    func proxyAnswer(_ response: HTTPResponse) {
        guard let context, let request = exchange?.head else { return }
        write(response, for: request, context: context)
    }

    /// The upstream failed mid-answer: closing is the only way to tell the client it is cut short.
    func abort() {
        context?.close(promise: nil)
    }

    func exchangeDone(_ done: ProxyExchange) {
        if exchange === done { exchange = nil }
    }

    func logProxied(_ accessLog: AccessLog, _ request: HTTPRequestHead, status: Int, bytes: Int, _ context: ChannelHandlerContext) {
        accessLog.record(request, remote: context.channel.remoteAddress?.ipAddress, status: status, bytes: bytes, since: started)
    }
}
