#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// A plain HTTP/1 listening socket served by `DirectLane`s, one per NIO event loop (each hands
/// its connections to its own loop). `HTTPServer` uses it for a plain listener.
final class DirectListener: Sendable {
    let fd: Int32
    let port: Int
    let lanes: [DirectLane]
    /// Lanes still running.
    let running: Countdown
    /// Lanes that still have the listening socket in their epoll set; the last one out closes it.
    let listening: Countdown
    /// Down to zero once `stop` was called.
    let stopRequest = Countdown(1)

    init(host: String, port: Int, backlog: Int32, serving: DirectServing, loops: [any EventLoop]) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family = address.protocol.rawValue
        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DirectError.system("socket", errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind")
        }
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = DirectAddress.port(local)
        let running = Countdown(loops.count)
        self.running = running
        listening = Countdown(loops.count)
        do {
            lanes = try loops.enumerated().map { index, loop in
                try DirectLane(serving: serving, listenFD: fd, loop: loop, name: "tracker-http-\(index + 1)") { _ = running.countDown() }
            }
        } catch {
            close(fd)
            throw error
        }
        lanes.forEach { $0.start() }
    }

    /// Stops accepting (the socket is closed once no lane watches it); connections end after
    /// their current answer.
    func stop() {
        guard stopRequest.countDown() else { return }
        let fd = self.fd
        let listening = self.listening
        for lane in lanes {
            lane.stop {
                if listening.countDown() { close(fd) }
            }
        }
    }

    /// Returns once `stop` was called.
    func stopRequested() async {
        await stopRequest.wait()
    }

    /// Ends the connections still open (after the drain).
    func closeAll() {
        lanes.forEach { $0.closeAll() }
    }

    /// Returns when every lane's thread has ended.
    func stopped() async {
        await running.wait()
    }
}

/// A count down to zero, and who waits for it to get there.
final class Countdown: Sendable {
    let state: Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(_ count: Int) {
        state = Mutex((count, []))
    }

    /// True for the call that brings it to zero.
    func countDown() -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
            guard state.count > 0 else { return nil }
            state.count -= 1
            guard state.count == 0 else { return nil }
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return false }
        waiters.forEach { $0.resume() }
        return true
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.count == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// What every lane of a listener needs (a class: connections read it for every request, and a
/// struct of references was copied, with its retains, at each read).
final class DirectServing: Sendable {
    let responder: any HTTPResponder
    let parser: PlainRequestParser
    let maxBodyBytes: Int
    let maxHeaderBytes: Int
    /// Nanoseconds.
    let headerTimeout: UInt64
    let idleTimeout: UInt64
    let accessLog: AccessLog?
    /// Gives NIO a connection (its socket and the bytes read from it) on the lane's loop.
    let handOff: @Sendable (Int32, ByteBuffer, any EventLoop) -> Void

    init(responder: any HTTPResponder, parser: PlainRequestParser, maxBodyBytes: Int, maxHeaderBytes: Int,
         headerTimeout: UInt64, idleTimeout: UInt64, accessLog: AccessLog?,
         handOff: @escaping @Sendable (Int32, ByteBuffer, any EventLoop) -> Void) {
        self.responder = responder
        self.parser = parser
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.accessLog = accessLog
        self.handOff = handOff
    }
}

/// Socket addresses as the rest of the server writes them (NIO's `ipAddress`).
enum DirectAddress {
    static func text(_ storage: sockaddr_storage) -> String? {
        var storage = storage
        let family = Int32(storage.ss_family)
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let written: UnsafePointer<CChar>? = withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, &out, socklen_t(out.count))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &raw, &out, socklen_t(out.count))
                }
            default: return nil
            }
        }
        guard written != nil else { return nil }
        return String(cString: out)
    }

    static func port(_ storage: sockaddr_storage) -> Int {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: 0
            }
        }
    }
}

/// First in a handed-off connection's pipeline: once the channel is active, gives the handlers
/// the bytes the lane had read, as if just read from the socket, then steps aside.
final class DirectReplay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    var bytes: ByteBuffer?

    init(_ bytes: ByteBuffer) {
        self.bytes = bytes
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if let bytes = bytes.take(), bytes.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
