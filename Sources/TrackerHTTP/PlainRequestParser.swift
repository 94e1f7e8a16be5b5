#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import TrackerCore

/// Parses the plainest HTTP/1.x requests, the shape of nearly every tracking hit: a common method
/// (GET, POST, HEAD, OPTIONS, PUT, DELETE, PATCH), a target of printable ASCII, version 1.0 or
/// 1.1, CRLF line ends, header names of token characters right before their colon, values of
/// printable ASCII and tabs, at most one Content-Length of digits, no Transfer-Encoding, Upgrade,
/// Expect or Trailer, a connection kept alive, and well within the size limits. Anything else,
/// valid or not, is not its business: it answers nil and NIO's decoder takes the bytes (and
/// decides, with its own errors), so what this accepts is a strict subset of what that accepts,
/// read the same way (`PlainRequestFastPathTests` compares the two).
struct PlainRequestParser {
    let limits: NIOHTTPDecoderLimitConfiguration
    /// Whether a request that closes the connection is taken too: a `DirectConnection` answers
    /// it and closes; in front of NIO's decoder it is not (the decoder must see it).
    var takesClosing = false

    struct Request {
        var head: HTTPRequestHead
        /// The body's length (it follows the head in the bytes given).
        var bodyLength: Int
        /// Head and body together.
        var length: Int
    }

    /// The request at the start of `bytes`, if it is plain and all there.
    func request(in bytes: UnsafeRawBufferPointer) -> Request? {
        if case .request(let request) = scan(bytes) { return request }
        return nil
    }

    /// What the start of `bytes` is, for a reader that can wait for more (`DirectConnection`).
    enum Scan {
        case request(Request)
        /// So far a plain request, not all there: its head is cut short, or its body
        /// (`total`: head and body, when the head is all there).
        case incomplete(total: Int?)
        /// Not plain: for NIO's decoder.
        case other
    }

    /// `texts`: the calling thread's recent header texts, to reuse (`HeaderTexts`).
    func scan(_ bytes: UnsafeRawBufferPointer, texts: HeaderTexts? = nil) -> Scan {
        let headEnd: Int
        switch Self.headState(bytes) {
        case .end(let end): headEnd = end
        case .more: return .incomplete(total: nil)
        case .refused: return .other
        }
        let lineEnd = Self.lineEnd(bytes, from: 0)
        guard let firstSpace = Self.index(of: 0x20, in: bytes, 0..<lineEnd), firstSpace > 0,
              lineEnd - firstSpace > 10, bytes[lineEnd - 9] == 0x20 else { return .other }
        let targetRange = firstSpace + 1..<lineEnd - 9
        guard Self.allVisible(bytes, targetRange, spaces: false) else { return .other }
        let version: HTTPVersion
        switch Self.load8(bytes, at: lineEnd - 8) {
        case 0x4854_5450_2F31_2E31: version = .http1_1  // HTTP/1.1
        case 0x4854_5450_2F31_2E30: version = .http1_0  // HTTP/1.0
        default: return .other
        }
        // The methods a tracker, file server or API proxy is sent; NIO's parser knows a fixed list
        // (an unknown token is its error to give).
        guard let method = Self.method(bytes, 0..<firstSpace) else { return .other }

        // NIO counts the target as a field, in both limits; near a limit, its decoder decides.
        let margin = 256
        guard targetRange.count + margin < limits.maxHeaderFieldSize else { return .other }
        var fields: [(String, String)] = []
        fields.reserveCapacity(8)
        var contentLength: Int?
        var listSize = targetRange.count
        var position = lineEnd + 2
        while position < headEnd - 2 {
            let end = Self.lineEnd(bytes, from: position)
            guard let colon = Self.index(of: UInt8(ascii: ":"), in: bytes, position..<end), colon > position,
                  Self.allTokenBytes(bytes, position..<colon) else { return .other }
            // Leading whitespace is not part of the value; trailing whitespace is kept, as NIO does.
            var valueStart = colon + 1
            let valueEnd = end
            while valueStart < valueEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            guard Self.allVisible(bytes, valueStart..<valueEnd, spaces: true) else { return .other }
            let size = colon - position + valueEnd - valueStart
            listSize += size
            guard size + margin < limits.maxHeaderFieldSize, listSize + margin < limits.maxHeaderListSize,
                  fields.count + 1 < limits.maxHeaderFieldCount else { return .other }
            var keepsValue = true
            switch Self.special(bytes, position..<colon) {
            case .cookie:
                keepsValue = false
            case .contentLength:
                guard contentLength == nil, valueEnd > valueStart, valueEnd - valueStart <= 15,
                      (valueStart..<valueEnd).allSatisfy({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }) else { return .other }
                contentLength = (valueStart..<valueEnd).reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) }
            case .deferred:
                return .other
            case .other:
                break
            }
            if let texts {
                let line = fields.count
                fields.append((texts.name(bytes, position..<colon, line: line),
                               keepsValue ? texts.value(bytes, valueStart..<valueEnd, line: line) : Self.text(bytes, valueStart..<valueEnd)))
            } else {
                fields.append((Self.text(bytes, position..<colon), Self.text(bytes, valueStart..<valueEnd)))
            }
            position = end + 2
        }
        let bodyLength = contentLength ?? 0
        let head = HTTPRequestHead(version: version, method: method,
                                   uri: Self.text(bytes, targetRange), headers: HTTPHeaders(fields))
        // NIO's decoder refuses bytes after a request that closes the connection: it must see it.
        guard head.isKeepAlive || takesClosing else { return .other }
        guard bytes.count - headEnd >= bodyLength else { return .incomplete(total: headEnd + bodyLength) }
        return .request(Request(head: head, bodyLength: bodyLength, length: headEnd + bodyLength))
    }

    // MARK: bytes

    /// Past the empty line that ends the head; nil when it has not all arrived, or a line ends in
    /// a bare LF (that is for NIO's decoder to refuse), or the head starts with an empty line.
    static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if case .end(let end) = headState(bytes) { return end }
        return nil
    }

    enum HeadState {
        case end(Int)
        /// Plain so far, and not all there.
        case more
        /// Not for this parser.
        case refused
    }

    /// Line ends are found with `memchr` (vectorised, `index(of:in:_:)`), not byte by byte: this
    /// ran over every byte of every request's head.
    static func headState(_ bytes: UnsafeRawBufferPointer) -> HeadState {
        guard let first = bytes.first else { return .more }
        // A request starts with a method's first letter: anything else (TLS on the plain port,
        // a stray empty line) is for NIO's decoder at once.
        guard first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return .refused }
        var from = 1
        while let index = index(of: 0x0A, in: bytes, from..<bytes.count) {
            guard bytes[index - 1] == 0x0D else { return .refused }
            if index >= 3, bytes[index - 2] == 0x0A {
                // A CR not followed by LF inside the head: NIO's decoder refuses it (and the
                // lines would be cut at it).
                return strayCR(in: bytes, before: index) ? .refused : .end(index + 1)
            }
            from = index + 1
        }
        // A CR with something other than LF after it is refused at once, as by NIO's decoder.
        return strayCR(in: bytes, before: bytes.count - 1) ? .refused : .more
    }

    /// Whether a CR before `end` is followed by anything but LF (the byte at `end` counts).
    static func strayCR(in bytes: UnsafeRawBufferPointer, before end: Int) -> Bool {
        var from = 0
        while let index = index(of: 0x0D, in: bytes, from..<max(from, end)) {
            if bytes[index + 1] != 0x0A { return true }
            from = index + 1
        }
        return false
    }

    /// Every byte of `range` visible ASCII (0x21–0x7E), and with `spaces`, also space or tab:
    /// eight bytes at a time (a word that may hold anything else is checked byte by byte).
    static func allVisible(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, spaces: Bool) -> Bool {
        var index = range.lowerBound
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let lowest: UInt64 = spaces ? 0x20 : 0x21
            while index + 8 <= range.upperBound {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                // A byte below `lowest`, or above 0x7E: the classic word tests, exact for
                // telling whether there is one.
                let below = (word &- ones &* lowest) & ~word & highs
                let above = ((word &+ ones) | word) & highs
                if below | above != 0 { break }
                index += 8
            }
        }
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F || spaces && (byte == 0x20 || byte == 0x09) else { return false }
            index += 1
        }
        return true
    }

    static func allTokenBytes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        for index in range where !HeaderValidation.isTokenByte(bytes[index]) { return false }
        return true
    }

    /// The CR that ends the line from `start` (`headEnd` found every line whole).
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        index(of: 0x0D, in: bytes, start..<bytes.count)!
    }

    static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard let base = bytes.baseAddress, !range.isEmpty,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    static func load8(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        (offset..<offset + 8).reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
    }

    static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    static func method(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod? {
        switch Self.text(bytes, range) {
        case "GET": return .GET
        case "POST": return .POST
        case "HEAD": return .HEAD
        case "OPTIONS": return .OPTIONS
        case "PUT": return .PUT
        case "DELETE": return .DELETE
        case "PATCH": return .PATCH
        default: return nil
        }
    }

    enum Special { case contentLength, deferred, cookie, other }

    /// The headers that change how a request is framed or handled, told apart by length first,
    /// and `Cookie`, whose values are not kept for reuse (`HeaderTexts`).
    /// (`Connection: upgrade` alone switches nothing: NIO's parser upgrades only with an
    /// `Upgrade` header too, which is deferred.)
    static func special(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Special {
        func named(_ expected: StaticString) -> Bool {
            ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes.assumingMemoryBound(to: UInt8.self)[name]),
                                     lowercase: UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount))
        }
        switch name.count {
        case 14 where named("content-length"): return .contentLength
        case 6 where named("cookie"): return .cookie
        case 17 where named("transfer-encoding"), 7 where named("upgrade"), 6 where named("expect"), 7 where named("trailer"):
            return .deferred
        default: return .other
        }
    }
}
