import NIOCore
import NIOHTTP1

/// One proxied request, from its head to the end of its answer, on the client's event loop.
/// Bodies stream both ways without being held: each side stops reading while the other cannot
/// take more (autoRead off), so a 1 GiB upload or download passes in flat memory.
final class ProxyExchange {
    enum Failure: Equatable { case closed, idleTimeout, responseTimeout }

    let plan: ProxyPlan
    let head: HTTPRequestHead
    /// Weak: the client's connection may close (and its handler go) while an upstream is still busy.
    weak var client: HTTPChannelHandler?
    let loop: any EventLoop
    let started = NIODeadline.now()
    /// Without a body the request can be sent again to another upstream after a failure.
    let replayable: Bool
    let idempotent: Bool
    let upgradeRequested: Bool
    var tried: [Upstream] = []
    var staleRetries = 0
    var connection: UpstreamConnection?
    /// Client body parts read before an upstream connection was ready.
    var pending: [ByteBuffer] = []
    var clientEnded = false
    var responseStarted = false
    /// The answer goes to the client as bytes, past NIO's encoder (see `directHead`).
    var direct = false
    /// Direct bytes not written yet: the head and the small body parts of one upstream read go
    /// out as one write (one buffer, one system call, one promise).
    var held: ByteBuffer?
    static let holdLimit = 16 * 1024
    var upgrading = false
    var closeClientAfter = false
    var finished = false
    var status = 0
    var bytesIn = 0
    var bytesOut = 0
    var minted: String?

    init(plan: ProxyPlan, head: HTTPRequestHead, client: HTTPChannelHandler, loop: any EventLoop) {
        self.plan = plan
        self.head = head
        self.client = client
        self.loop = loop
        let length = head.headers.first(name: "content-length").flatMap(Int.init) ?? 0
        replayable = length == 0 && !head.headers.contains(name: "transfer-encoding")
        idempotent = [.GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE].contains(head.method)
        upgradeRequested = plan.route.configuration.webSockets && ProxyHeaders.upgradeProtocol(head.headers) != nil
    }

    var route: ProxyRoute { plan.route }

    func start() {
        attempt()
    }

    func attempt() {
        guard let upstream = route.pick(excluding: tried) else {
            return fail(tried.isEmpty ? .serviceUnavailable : .badGateway,
                        tried.isEmpty ? "no healthy upstream for route \(route.name)" : "no upstream of route \(route.name) answered")
        }
        tried.append(upstream)
        upstream.inFlight.wrappingAdd(1, ordering: .relaxed)
        if let idle = upstream.takeIdle(on: loop) { return attach(idle) }
        client?.setReading(false)
        let configuration = route.configuration
        UpstreamConnection.connect(
            to: upstream, on: loop, timeout: .seconds(configuration.connectTimeoutSeconds),
            idleTimeout: .seconds(configuration.idleTimeoutSeconds),
            responseTimeout: .seconds(configuration.responseTimeoutSeconds), tls: route.tls
        ).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                guard !self.finished else {
                    upstream.inFlight.wrappingSubtract(1, ordering: .relaxed)
                    return upstream.putIdle(connection)
                }
                self.attach(connection)
            case .failure(let error):
                upstream.inFlight.wrappingSubtract(1, ordering: .relaxed)
                guard !self.finished else { return }
                upstream.recordFailure(now: ProxyRoute.now())
                self.retryOrFail(.badGateway, "could not connect to \(upstream.address): \(error)")
            }
        }
    }

    func attach(_ connection: UpstreamConnection) {
        self.connection = connection
        connection.exchange = self
        connection.uses += 1
        let outgoing = ProxyHeaders.requestBytes(head, route: route.configuration, upstream: connection.upstream.address,
                                                 client: plan.client, allocator: connection.channel.allocator)
        connection.sendHead(outgoing.head, method: head.method, chunked: outgoing.chunked)
        for part in pending { connection.sendBody(part) }
        pending = []
        if clientEnded { sendEnd(connection) }
        connection.flush()
        client?.setReading(clientEnded || connection.channel.isWritable)
    }

    func sendEnd(_ connection: UpstreamConnection) {
        connection.sendEnd()
        connection.awaitingSince = .now()
    }

    // MARK: the client side

    func clientBody(_ buffer: ByteBuffer) {
        guard !finished else { return }
        bytesIn += buffer.readableBytes
        if let limit = route.configuration.maxBodyBytes, bytesIn > limit {
            closeClientAfter = true
            if let connection { abandon(connection) }
            return fail(.payloadTooLarge, "the body is larger than \(limit) bytes")
        }
        guard let connection else { return pending.append(buffer) }
        connection.sendBody(buffer)
        // Pause first: the flush may drain at once, and its writability event resumes reading.
        if !connection.channel.isWritable {
            client?.setReading(false)
            connection.flush()
        }
    }

    /// The client's read batch is over: what was written upstream goes out.
    func clientReadComplete() {
        connection?.flush()
    }

    func clientEnd() {
        clientEnded = true
        if finished { client?.exchangeDone(self); return }
        guard let connection else { return }
        sendEnd(connection)
        connection.flush()
    }

    func clientWritabilityChanged(_ writable: Bool) {
        connection?.setReading(writable)
    }

    /// The client went away: the upstream connection cannot be reused mid-answer.
    func clientClosed() {
        guard !finished else { return }
        if let connection { abandon(connection) }
        complete()
    }

    // MARK: the upstream side

    func upstreamWritabilityChanged(_ writable: Bool) {
        if !clientEnded, !finished { client?.setReading(writable) }
    }

    func upstreamHead(_ upstreamHead: HTTPResponseHead) {
        guard !finished, let connection else { return }
        connection.awaitingSince = nil
        responseStarted = true
        connection.keepAlive = upstreamHead.isKeepAlive
        status = Int(upstreamHead.status.code)
        connection.upstream.recordSuccess()
        if upstreamHead.status == .switchingProtocols, upgradeRequested {
            // The tunnel starts after the 101's end, which its decoder sends next.
            upgrading = true
            client?.proxyHead(ProxyHeaders.response(upstreamHead, route: route.configuration, version: head.version))
            return
        }
        if let client, client.bytesOutput != nil,
           let bytes = directHead(upstreamHead, hsts: client.listener.hsts, allocator: connection.channel.allocator) {
            direct = true
            client.responding = true
            held = bytes
            return
        }
        var out = ProxyHeaders.response(upstreamHead, route: route.configuration, version: head.version)
        addOwnHeaders(to: &out.headers, answer: out.headers, status: out.status)
        client?.proxyHead(out)
    }

    /// What tracker adds to an upstream's answer, however it is written: the plan's headers the
    /// answer lacks, the visitor cookie on HTML, and whether the client's connection stays open.
    func addOwnHeaders<Sink: HeaderSink>(to sink: inout Sink, answer: HTTPHeaders, status: HTTPResponseStatus) {
        for (name, value) in plan.responseHeaders where !answer.contains(name: name) { sink.add(name: name, value: value) }
        // A proxy adds the date an answer without one was received (RFC 9110 §6.6.1).
        if !answer.contains(name: "date") { sink.add(name: "date", value: HTTPDate.current()) }
        if let cookie = plan.visitorCookie, Self.isHTML(answer) {
            let (vid, header) = cookie()
            minted = vid
            sink.add(name: "set-cookie", value: header)
        }
        // An upgrade request's decoder stops after it; a 1.0 client needs a length to keep alive.
        let framed = answer.contains(name: "content-length") || !status.mayHaveResponseBody || head.method == .HEAD
        closeClientAfter = closeClientAfter || !head.isKeepAlive || upgradeRequested || (head.version.minor == 0 && !framed)
        if closeClientAfter { sink.set(name: "connection", value: "close") }
        else if head.version.minor == 0 { sink.set(name: "connection", value: "keep-alive") }
    }

    /// The answer's head as bytes, written below NIO's response encoder, when nothing needs the
    /// encoder: an HTTP/1 client, an answer framed by its length (or without a body) and a route
    /// without header rules. Building a header list and encoding it again was a seventh of a
    /// proxied request's user time.
    func directHead(_ upstreamHead: HTTPResponseHead, hsts: String?, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let incoming = upstreamHead.headers, rules = route.configuration.responseHeaders
        guard rules.set.isEmpty, rules.remove.isEmpty, !incoming.contains(name: "transfer-encoding"),
              incoming.contains(name: "content-length") || !upstreamHead.status.mayHaveResponseBody || head.method == .HEAD
        else { return nil }
        var writer = HeadWriter(buffer: allocator.buffer(capacity: 512))
        writer.statusLine(version: head.version, status: upstreamHead.status)
        ProxyHeaders.responseHeaders(incoming, into: &writer)
        addOwnHeaders(to: &writer, answer: incoming, status: upstreamHead.status)
        if let hsts, !incoming.contains(name: "strict-transport-security") { writer.add(name: "strict-transport-security", value: hsts) }
        writer.buffer.writeStaticString("\r\n")
        return writer.buffer
    }

    func upstreamBody(_ buffer: ByteBuffer) {
        guard !finished else { return }
        bytesOut += buffer.readableBytes
        if direct {
            if var bytes = held {
                held = nil
                if bytes.readableBytes + buffer.readableBytes <= Self.holdLimit {
                    bytes.writeImmutableBuffer(buffer)
                    held = bytes
                    return
                }
                client?.proxyBody(bytes: bytes)
            }
            client?.proxyBody(bytes: buffer)
        } else {
            client?.proxyBody(buffer)
        }
        if !(client?.isWritable ?? true) {
            connection?.setReading(false)
            client?.flush()
        }
    }

    /// The upstream's read batch is over: what it sent goes out to the client.
    func upstreamReadComplete() {
        if let bytes = held {
            held = nil
            client?.proxyBody(bytes: bytes)
        }
        client?.flush()
    }

    func upstreamEnd() {
        guard !finished, let connection else { return }
        if upgrading { return upgrade(connection) }
        // An answer before the whole request was read leaves the rest of it unread on both sides.
        if !clientEnded { closeClientAfter = true }
        release(connection, reusable: clientEnded && connection.keepAlive)
        let last = held
        held = nil
        client?.proxyEnd(status: status, bytes: bytesOut, close: closeClientAfter, direct: direct, last: last)
        complete()
    }

    func upstreamFailed(_ failed: UpstreamConnection, _ failure: Failure) {
        guard !finished, failed === connection else { return }
        abandon(failed)
        if responseStarted {
            // Part of the answer is out: all the client can learn is that it was cut short.
            client?.abort()
            return complete()
        }
        // A keep-alive connection the upstream had already closed is not the server's failure.
        let stale = failure == .closed && failed.uses > 1
        if stale, staleRetries < 2, replayable {
            staleRetries += 1
            tried.removeAll { $0 === failed.upstream }
            return attempt()
        }
        failed.upstream.recordFailure(now: ProxyRoute.now())
        if failure == .responseTimeout {
            return fail(.gatewayTimeout, "\(failed.upstream.address) did not answer within \(route.configuration.responseTimeoutSeconds) s")
        }
        retryOrFail(.badGateway, "\(failed.upstream.address) closed the connection without answering")
    }

    func retryOrFail(_ status: HTTPResponseStatus, _ message: String) {
        if replayable, idempotent, tried.count < route.upstreams.count {
            return attempt()
        }
        fail(status, message)
    }

    // MARK: endings

    func upgrade(_ connection: UpstreamConnection) {
        connection.exchange = nil
        self.connection = nil
        connection.upstream.inFlight.wrappingSubtract(1, ordering: .relaxed)
        client?.tunnel(to: connection)
        complete()
    }

    /// Answers from here when no upstream answered, then ends the exchange.
    func fail(_ status: HTTPResponseStatus, _ message: String) {
        guard !finished else { return }
        self.status = Int(status.code)
        var response = HTTPResponse.error(status, message)
        if status == .serviceUnavailable { response.headers.add(name: "retry-after", value: "1") }
        for (name, value) in plan.responseHeaders { response.headers.add(name: name, value: value) }
        if !clientEnded || closeClientAfter { response.headers.replaceOrAdd(name: "connection", value: "close") }
        client?.setReading(true)
        client?.proxyAnswer(response)
        complete()
    }

    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.awaitingSince = nil
        connection.exchange = nil
        self.connection = nil
        connection.upstream.inFlight.wrappingSubtract(1, ordering: .relaxed)
        if reusable {
            connection.setReading(true)
            connection.upstream.putIdle(connection)
        } else {
            connection.channel.close(promise: nil)
        }
    }

    func abandon(_ connection: UpstreamConnection) {
        release(connection, reusable: false)
    }

    func complete() {
        guard !finished else { return }
        finished = true
        if clientEnded { client?.exchangeDone(self) }
        guard let completed = plan.completed else { return }
        let elapsed = NIODeadline.now() - started
        completed(ProxyRecord(request: head, status: status, milliseconds: Double(elapsed.nanoseconds) / 1e6,
                              bytesIn: bytesIn, bytesOut: bytesOut, upstream: tried.last?.address.description,
                              mintedVisitor: minted))
    }

    static func isHTML(_ headers: HTTPHeaders) -> Bool {
        headers.first(name: "content-type")?.lowercased().hasPrefix("text/html") ?? false
    }
}

extension TimeAmount {
    static func seconds(_ value: Double) -> TimeAmount { .nanoseconds(Int64(value * 1e9)) }
}
