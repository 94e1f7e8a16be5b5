#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import NIOCore
import NIOHTTP1

/// One connection on a `DirectLane`: reads requests into its buffer, serves one at a time (bytes
/// of pipelined ones wait in the buffer), writes each answer with `send`, and keeps the same two
/// clocks as `HeaderDeadlineHandler` (a head must arrive within the header timeout of its first
/// byte; a connection with nothing to do is closed after the idle timeout). The first request
/// the lane does not serve hands the connection, with the bytes read so far, to NIO.
/// Used on its lane's thread only.
final class DirectConnection: @unchecked Sendable {
    let fd: Int32
    let peer: String?
    /// Strong: an answer may come after the lane's thread ended (the lane's table, which holds
    /// the connection, is emptied as connections close, so the cycle does not outlive them).
    let lane: DirectLane
    let serving: DirectServing
    var input: UnsafeMutableRawPointer
    var capacity = 4096
    /// The unread bytes are `start..<end` of `input`.
    var start = 0
    var end = 0
    /// An answer's bytes the socket did not take yet.
    var output: ByteBuffer?
    /// A request was given to the responder and its answer is not out yet.
    var awaiting = false
    var closed = false
    /// Close once the current answer is out (the server is stopping, or the answer said so).
    var closing = false
    var processing = false
    /// When the first byte of a head still being read arrived (nil once the head is whole: a body
    /// being read is on the idle clock, as on NIO's path).
    var headStarted: UInt64?
    /// The last read, or the last answer out: the idle clock.
    var lastActive = DirectLane.now()
    var interest: UInt32 = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
    var answers = AnswerEncoder(hsts: nil)
    var started = ContinuousClock.now

    init(fd: Int32, peer: String?, lane: DirectLane) {
        self.fd = fd
        self.peer = peer
        self.lane = lane
        serving = lane.serving
        input = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit {
        input.deallocate()
    }

    func ready(_ events: UInt32) {
        if events & EPOLLOUT.rawValue != 0 { flush() }
        if !closed, events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { readAll() }
    }

    /// Reads what the socket has, up to the buffer's room for one more request.
    func readAll() {
        while !closed {
            if end == capacity, !makeRoom() {
                // Full of a request that is still coming (pipelined behind an answer): wait.
                setInterest(read: false)
                break
            }
            let room = capacity - end
            let count = recv(fd, input + end, room, 0)
            if count > 0 {
                end += count
                lastActive = DirectLane.now()
                if count < room { break }  // the socket is drained
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EINTR) {
                // The client is gone (NIO does not allow half-closure either): its answer is dropped.
                return close()
            }
            if errno == EAGAIN { break }
        }
        process()
    }

    /// Moves the unread bytes to the front, or grows the buffer up to what one request may be.
    func makeRoom() -> Bool {
        if start > 0 {
            input.copyMemory(from: input + start, byteCount: end - start)
            end -= start
            start = 0
            return true
        }
        let limit = serving.maxHeaderBytes + serving.maxBodyBytes + 1024
        guard capacity < limit else { return false }
        let grown = min(limit, capacity * 4)
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        bigger.copyMemory(from: input, byteCount: end)
        input.deallocate()
        input = bigger
        capacity = grown
        return true
    }

    /// Serves the requests in the buffer, one at a time.
    func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !closed, !awaiting, output == nil, !closing {
            guard end > start else {
                headStarted = nil
                start = 0
                end = 0
                break
            }
            let scan = serving.parser.scan(UnsafeRawBufferPointer(start: input + start, count: end - start), texts: lane.headerTexts)
            switch scan {
            case .request(let parsed):
                guard parsed.bodyLength <= serving.maxBodyBytes else { return handOff() }
                let head = parsed.head
                let bodyStart = start + parsed.length - parsed.bodyLength
                let body = Array(UnsafeRawBufferPointer(start: input + bodyStart, count: parsed.bodyLength))
                let request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body, peerIP: peer, isTLS: false)
                guard serving.responder.answersInMemory(request) else { return handOff() }
                start += parsed.length
                headStarted = nil
                serve(request, head: head)
            case .incomplete(let total):
                // Past the limits: NIO's decoder and handler give the errors (431, 413).
                if let total, total > serving.maxHeaderBytes + serving.maxBodyBytes { return handOff() }
                if total == nil, end - start >= serving.maxHeaderBytes { return handOff() }
                if total == nil, headStarted == nil { headStarted = DirectLane.now() }
                if total != nil { headStarted = nil }
                setInterest(read: true)
                return
            case .other:
                return handOff()
            }
        }
        if !closed, !awaiting, output == nil {
            if closing { return close() }
            setInterest(read: true)
        }
    }

    func serve(_ request: HTTPRequest, head: HTTPRequestHead) {
        awaiting = true
        if serving.accessLog != nil { started = .now }
        var request = request
        request.completionExecutor = lane
        let lane = self.lane
        serving.responder.respondOnWire(to: request) { [self] answer in
            if lane.isCurrent {
                self.answer(answer, for: head)
            } else {
                lane.submit { [self] in self.answer(answer, for: head) }
            }
        }
    }

    func answer(_ answer: WireAnswer, for head: HTTPRequestHead) {
        switch answer {
        case .response(let response):
            self.answer(response, for: head)
        case .tracking(let tracking):
            guard !closed else { return }
            guard let encoded = answers.encodeTracking(tracking, for: head, allocator: lane.allocator) else {
                return self.answer(tracking.response, for: head)
            }
            output(encoded, status: tracking.status, bodyBytes: tracking.body.count, for: head)
        }
    }

    func answer(_ response: HTTPResponse, for head: HTTPRequestHead) {
        response.file?.close()
        guard !closed else { return }
        // Only answers made in memory come here (`answersInMemory`); one with a file is a bug
        // of the route, answered as such rather than with a missing body.
        let sendable = response.file == nil ? response : HTTPResponse.error(.internalServerError, "the answer was a file")
        let encoded = answers.encodeHead(sendable, for: head, allocator: lane.allocator)
            ?? answers.encodeHead(.error(.internalServerError, "the answer had a header that cannot be sent"), for: head, allocator: lane.allocator)
        guard let encoded else { return close() }
        output(encoded, status: sendable.status, bodyBytes: sendable.body.count, for: head)
    }

    /// An encoded answer out: logged, then sent.
    func output(_ encoded: (buffer: ByteBuffer, keepAlive: Bool), status: HTTPResponseStatus, bodyBytes: Int, for head: HTTPRequestHead) {
        let (buffer, keepAlive) = encoded
        serving.accessLog?.record(head, remote: peer, status: Int(status.code), bytes: head.method == .HEAD ? 0 : bodyBytes, since: started)
        awaiting = false
        if !keepAlive { closing = true }
        output = buffer
        flush()
    }

    /// Sends what is left of the answer; the rest waits for the socket to be writable.
    func flush() {
        guard var buffer = output else { return }
        while buffer.readableBytes > 0 {
            let sent = buffer.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                buffer.moveReaderIndex(forwardBy: sent)
                continue
            }
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == EAGAIN {
                output = buffer
                setInterest(read: interest & EPOLLIN.rawValue != 0, write: true)
                return
            }
            return close()
        }
        output = nil
        lastActive = DirectLane.now()
        if closing { return close() }
        if interest & EPOLLOUT.rawValue != 0 { setInterest(read: true, write: false) }
        if !processing { process() }
    }

    func setInterest(read: Bool, write: Bool = false) {
        let wanted = (read ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
        guard wanted != interest, !closed else { return }
        interest = wanted
        lane.modify(fd, events: wanted)
    }

    /// The two clocks, checked four times a second.
    func checkClocks(now: UInt64) {
        if let headStarted, !awaiting, output == nil, now > headStarted &+ serving.headerTimeout {
            self.headStarted = nil
            closing = true
            var buffer = lane.allocator.buffer(capacity: HeaderDeadlineHandler.timeoutAnswer.utf8CodeUnitCount)
            buffer.writeStaticString(HeaderDeadlineHandler.timeoutAnswer)
            output = buffer
            flush()
        } else if now > lastActive &+ serving.idleTimeout, !awaiting, headStarted == nil || output != nil {
            // Idle, or an answer the client has not read for the idle timeout.
            close()
        }
    }

    func closeWhenIdle() {
        closing = true
        if !awaiting, output == nil { close() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        lane.forget(fd)
        // Whatever the client sent that will not be read is dropped first: closing a socket with
        // unread bytes sends a reset, which can destroy the answer before the client reads it
        // (NIO's path closes lingering, as nginx does).
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { sink in
            var reads = 0
            while reads < 16, recv(fd, sink.baseAddress, sink.count, Int32(MSG_DONTWAIT)) > 0 { reads += 1 }
        }
        Glibc.close(fd)
    }

    /// To NIO, with what was read and not served.
    func handOff() {
        closed = true
        lane.forget(fd)
        var event = epoll_event()
        _ = epoll_ctl(lane.epoll, EPOLL_CTL_DEL, fd, &event)
        var buffer = lane.allocator.buffer(capacity: end - start)
        buffer.writeBytes(UnsafeRawBufferPointer(start: input + start, count: end - start))
        serving.handOff(fd, buffer, lane.loop)
    }
}
