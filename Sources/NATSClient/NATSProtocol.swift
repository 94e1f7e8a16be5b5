import NIOCore

/// The NATS client protocol (docs.nats.io "Client Protocol"): what the server sends, read
/// incrementally from bytes, and what the client sends, written as bytes. No I/O here.
public enum ServerOperation: Equatable, Sendable {
    case info([UInt8])
    case message(NATSMessage, sid: Int)
    case ping
    case pong
    case ok
    case error(String)
}

public struct NATSMessage: Equatable, Sendable {
    public var subject: String
    public var replyTo: String?
    public var headers: NATSHeaders?
    public var payload: [UInt8]

    public init(subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Reads server operations out of a byte stream that arrives in arbitrary pieces.
public struct ServerOperationParser: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case tooLarge(Int)
        public var description: String {
            switch self {
            case .malformed(let line): "a malformed line from the server: \(line)"
            case .tooLarge(let size): "a message of \(size) bytes, more than the limit"
            }
        }
    }

    var buffer: [UInt8] = []
    var start = 0
    /// Larger messages are refused (the server's max_payload plus headers, with room).
    public var maxMessageBytes: Int

    public init(maxMessageBytes: Int = 64 << 20) {
        self.maxMessageBytes = maxMessageBytes
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete operation, or nil until more bytes arrive.
    public mutating func next() throws(Failure) -> ServerOperation? {
        guard let lineEnd = Self.crlf(in: buffer, from: start) else {
            if buffer.count - start > 64 * 1024 { throw .malformed("a control line longer than 64 KiB") }
            return nil
        }
        let line = Array(buffer[start..<lineEnd])
        let fields = Self.fields(line)
        guard let op = fields.first.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
            start = lineEnd + 2
            return try next()
        }
        let text = { String(decoding: line, as: UTF8.self) }
        switch op {
        case "PING": start = lineEnd + 2; return .ping
        case "PONG": start = lineEnd + 2; return .pong
        case "+OK": start = lineEnd + 2; return .ok
        case "-ERR":
            start = lineEnd + 2
            var message = text().dropFirst(4).trimmingCharacters(in: " ")
            if message.hasPrefix("'"), message.hasSuffix("'"), message.count >= 2 { message = String(message.dropFirst().dropLast()) }
            return .error(message)
        case "INFO":
            start = lineEnd + 2
            guard let brace = line.firstIndex(of: UInt8(ascii: "{")) else { throw .malformed(text()) }
            return .info(Array(line[brace...]))
        case "MSG", "HMSG":
            let withHeaders = op == "HMSG"
            // MSG subject sid [reply] size; HMSG subject sid [reply] header-size total-size
            let counts = withHeaders ? 2 : 1
            guard fields.count == 3 + counts || fields.count == 4 + counts else { throw .malformed(text()) }
            let subject = String(decoding: fields[1], as: UTF8.self)
            guard let sid = Self.number(fields[2]) else { throw .malformed(text()) }
            let reply = fields.count == 4 + counts ? String(decoding: fields[3], as: UTF8.self) : nil
            guard let total = Self.number(fields[fields.count - 1]) else { throw .malformed(text()) }
            let headerSize = withHeaders ? Self.number(fields[fields.count - 2]) : 0
            guard let headerSize, headerSize <= total else { throw .malformed(text()) }
            guard total <= maxMessageBytes else { throw .tooLarge(total) }
            let bodyStart = lineEnd + 2
            guard buffer.count >= bodyStart + total + 2 else { return nil }
            guard buffer[bodyStart + total] == 13, buffer[bodyStart + total + 1] == 10 else {
                throw .malformed("a payload not ended by CRLF after \(total) bytes")
            }
            var headers: NATSHeaders?
            if withHeaders {
                headers = NATSHeaders.parse(Array(buffer[bodyStart..<(bodyStart + headerSize)]))
                guard headers != nil else { throw .malformed("unreadable headers") }
            }
            let payload = Array(buffer[(bodyStart + headerSize)..<(bodyStart + total)])
            start = bodyStart + total + 2
            return .message(NATSMessage(subject: subject, replyTo: reply, headers: headers, payload: payload), sid: sid)
        default:
            throw .malformed(text())
        }
    }

    static func crlf(in buffer: [UInt8], from: Int) -> Int? {
        var index = from
        while index + 1 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// Fields split on runs of spaces and tabs (2.9 sends two spaces where a reply-to is empty).
    static func fields(_ line: [UInt8]) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: { $0 == 32 || $0 == 9 })
    }

    static func number(_ field: ArraySlice<UInt8>) -> Int? {
        guard !field.isEmpty, field.count < 19 else { return nil }
        var value = 0
        for byte in field {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}

/// What the client sends.
public enum ClientOperation {
    public static func connect(_ json: String) -> [UInt8] { Array("CONNECT \(json)\r\n".utf8) }
    public static let ping: [UInt8] = Array("PING\r\n".utf8)
    public static let pong: [UInt8] = Array("PONG\r\n".utf8)

    public static func publish(subject: String, replyTo: String?, headers: NATSHeaders?, payload: [UInt8], into out: inout [UInt8]) {
        var buffer = ByteBufferAllocator().buffer(capacity: payload.count + 64)
        publish(subject: subject, replyTo: replyTo, headerBlock: headers?.encoded(), payload: payload, into: &buffer)
        out += buffer.readableBytesView
    }

    /// `PUB subject [reply] size` or `HPUB subject [reply] header-size total-size`, then the bytes.
    public static func publish(subject: String, replyTo: String?, headerBlock: [UInt8]?, payload: [UInt8], into out: inout ByteBuffer) {
        out.writeStaticString(headerBlock == nil ? "PUB " : "HPUB ")
        out.writeString(subject)
        if let replyTo {
            out.writeInteger(UInt8(ascii: " "))
            out.writeString(replyTo)
        }
        out.writeInteger(UInt8(ascii: " "))
        if let headerBlock {
            writeDecimal(headerBlock.count, into: &out)
            out.writeInteger(UInt8(ascii: " "))
            writeDecimal(headerBlock.count + payload.count, into: &out)
            out.writeStaticString("\r\n")
            out.writeBytes(headerBlock)
        } else {
            writeDecimal(payload.count, into: &out)
            out.writeStaticString("\r\n")
        }
        out.writeBytes(payload)
        out.writeStaticString("\r\n")
    }

    static func writeDecimal(_ value: Int, into out: inout ByteBuffer) {
        if value < 10 { out.writeInteger(UInt8(48 + value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[19 - count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }

    public static func subscribe(subject: String, queue: String?, sid: Int) -> [UInt8] {
        Array("SUB \(subject)\(queue.map { " " + $0 } ?? "") \(sid)\r\n".utf8)
    }

    public static func unsubscribe(sid: Int, after: Int? = nil) -> [UInt8] {
        Array("UNSUB \(sid)\(after.map { " \($0)" } ?? "")\r\n".utf8)
    }

    /// Subjects are tokens separated by dots, without spaces or control characters.
    public static func isValidSubject(_ subject: String, wildcards: Bool) -> Bool {
        guard !subject.isEmpty, !subject.hasPrefix("."), !subject.hasSuffix("."), !subject.contains("..") else { return false }
        for byte in subject.utf8 where byte <= 32 || byte == 127 { return false }
        guard !wildcards else { return true }
        return !subject.split(separator: ".").contains { $0 == "*" || $0 == ">" }
    }
}
