import NIOCore
import NIOHTTP1
import TrackerCore

/// How a connection writes the head of an answer: as bytes on HTTP/1 (`encodeHead`), or as a
/// header list for NIO's encoders; either way with the same framing (`addFraming`). One per
/// connection (`HTTPChannelHandler`, `DirectConnection`): it keeps the last answer's buffer.
struct AnswerEncoder {
    /// The Strict-Transport-Security value added to every answer; nil adds none.
    let hsts: String?
    /// The last answer's buffer, if the socket is done with it (the buffer is no longer shared):
    /// written over in place, instead of two allocations (storage and bytes) for every answer.
    var keptAnswer: ByteBuffer?
    static let keptAnswerBytes = 2048

    init(hsts: String?) {
        self.hsts = hsts
    }

    /// An answer held in memory, on HTTP/1, as bytes: head and body in one buffer written below
    /// NIO's encoder (one write instead of three, no header list encoded again), framed as the
    /// encoder would (no length and no body where the status allows none). One pass over the
    /// answer's headers checks each, writes it, and notes what the head must add: the length,
    /// `Connection`, HSTS, `Date` (each was a search of the list, and the list was copied to add
    /// them). Nil when a header cannot be sent.
    mutating func encodeHead(_ response: HTTPResponse, for request: HTTPRequestHead, allocator: ByteBufferAllocator)
        -> (buffer: ByteBuffer, keepAlive: Bool)? {
        let bodiless = !response.status.mayHaveResponseBody
        let bodyBytes = request.method == .HEAD || bodiless ? 0 : response.body.count
        var writer = HeadWriter(buffer: answerBuffer(capacity: 256 + bodyBytes, allocator: allocator))
        writer.statusLine(version: request.version, status: response.status)
        var closes: Bool?
        var connection: [String] = []
        var hasDate = false
        var hasHSTS = false
        for header in response.headers {
            guard HeaderValidation.isValid(header) else { return nil }
            switch AnswerHeader(header.name) {
            case .contentLength: continue
            case .connection:
                if closes == nil { closes = header.value.lowercased() == "close" }
                connection.append(header.value)
                continue
            case .date: hasDate = true
            case .strictTransportSecurity: hasHSTS = true
            case .other: break
            }
            writer.add(name: header.name, value: header.value)
        }
        let keepAlive = request.isKeepAlive && closes != true
        addFraming(to: &writer, for: request, keepAlive: keepAlive, length: bodiless ? nil : response.body.count,
                   keptConnection: connection, hasHSTS: hasHSTS, hasDate: hasDate)
        writer.buffer.writeStaticString("\r\n")
        if bodyBytes > 0 { writer.buffer.writeBytes(response.body) }
        if writer.buffer.capacity <= Self.keptAnswerBytes { keptAnswer = writer.buffer }
        return (writer.buffer, keepAlive)
    }

    /// A tracking answer written from its parts, the bytes `encodeHead` writes for its
    /// `response`; nil when one of its headers cannot be sent (its `response` then goes
    /// through `encodeHead`, which answers that).
    mutating func encodeTracking(_ answer: TrackingAnswer, for request: HTTPRequestHead, allocator: ByteBufferAllocator)
        -> (buffer: ByteBuffer, keepAlive: Bool)? {
        let body = answer.body
        let bodyBytes = request.method == .HEAD ? 0 : body.count
        var writer = HeadWriter(buffer: answerBuffer(capacity: 256 + bodyBytes, allocator: allocator))
        writer.statusLine(version: request.version, status: answer.status)
        guard answer.writeHeaders(to: &writer) else { return nil }
        let keepAlive = request.isKeepAlive
        addFraming(to: &writer, for: request, keepAlive: keepAlive, length: body.count, keptConnection: [],
                   hasHSTS: false, hasDate: false)
        writer.buffer.writeStaticString("\r\n")
        if bodyBytes > 0 { writer.buffer.writeBytes(body) }
        if writer.buffer.capacity <= Self.keptAnswerBytes { keptAnswer = writer.buffer }
        return (writer.buffer, keepAlive)
    }

    mutating func answerBuffer(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = keptAnswer.take(), capacity <= buffer.capacity else { return allocator.buffer(capacity: capacity) }
        buffer.clear()
        return buffer
    }

    /// What every answer's head gets besides its own headers, whichever way it is written: its
    /// length (nil: none), `Connection` as both sides want it (the answer's own values kept when
    /// neither closes), HSTS on a TLS listener and `Date`, each unless the answer has its own.
    func addFraming<Sink: HeaderSink>(to sink: inout Sink, for request: HTTPRequestHead, keepAlive: Bool, length: Int?,
                                      keptConnection: [String], hasHSTS: Bool, hasDate: Bool) {
        if let length { sink.set(name: "content-length", value: String(length)) }
        if !keepAlive {
            sink.set(name: "connection", value: "close")
        } else if request.version == .http1_0 {
            // An HTTP/1.0 client keeps the connection only when the answer says so (ab -k, old proxies).
            sink.set(name: "connection", value: "keep-alive")
        } else {
            for value in keptConnection { sink.add(name: "connection", value: value) }
        }
        if let hsts, !hasHSTS { sink.add(name: "strict-transport-security", value: hsts) }
        if !hasDate { sink.add(name: "date", value: HTTPDate.current()) }
    }
}

/// The headers of our own answers that the head writer handles itself, told apart by length
/// first (one byte comparison for most names).
enum AnswerHeader {
    case contentLength, connection, date, strictTransportSecurity, other

    init(_ name: String) {
        switch name.utf8.count {
        case 14 where ASCII.equalsIgnoringCase(name, lowercase: "content-length"): self = .contentLength
        case 10 where ASCII.equalsIgnoringCase(name, lowercase: "connection"): self = .connection
        case 4 where ASCII.equalsIgnoringCase(name, lowercase: "date"): self = .date
        case 25 where ASCII.equalsIgnoringCase(name, lowercase: "strict-transport-security"): self = .strictTransportSecurity
        default: self = .other
        }
    }
}
