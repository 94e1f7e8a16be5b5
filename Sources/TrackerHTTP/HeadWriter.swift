import NIOCore
import NIOHTTP1

/// Where headers are written: a header list (tests, routes with header rules, the encoder's
/// path) or bytes.
protocol HeaderSink {
    mutating func add(name: String, value: String)
    /// In place of any header of that name.
    mutating func set(name: String, value: String)
}

extension HTTPHeaders: HeaderSink {
    /// Added when absent: `replaceOrAdd` rebuilt the list even with nothing to replace (every
    /// tracking answer's CORS header).
    mutating func set(name: String, value: String) {
        if contains(name: name) {
            replaceOrAdd(name: name, value: value)
        } else {
            add(name: name, value: value)
        }
    }
}

/// A message head as HTTP/1.1 bytes, for what is written past NIO's encoder (proxied heads, the
/// server's own answers). Names and values come from a parsed message, or are our own and
/// checked by `HeaderValidation`, so they are not validated again here.
struct HeadWriter: HeaderSink {
    var buffer: ByteBuffer

    /// The line is copied into the buffer in one reservation: four `writeString` calls, each with
    /// its own capacity and bounds checks, took a tenth of a pixel answer's time on the loop.
    mutating func add(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { name in
            value.withUTF8 { value in
                let count = name.count + value.count + 4
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                    let base = out.baseAddress!
                    if let from = name.baseAddress { base.copyMemory(from: from, byteCount: name.count) }
                    out[name.count] = UInt8(ascii: ":")
                    out[name.count + 1] = UInt8(ascii: " ")
                    if let from = value.baseAddress { (base + name.count + 2).copyMemory(from: from, byteCount: value.count) }
                    out[count - 2] = UInt8(ascii: "\r")
                    out[count - 1] = UInt8(ascii: "\n")
                    return count
                }
            }
        }
    }

    /// Whole lines of our own (each ending in CRLF), written as they are.
    mutating func line(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    /// Bytes are written once: a head made here has no earlier header of the name to replace.
    mutating func set(name: String, value: String) { add(name: name, value: value) }

    mutating func statusLine(version: HTTPVersion, status: HTTPResponseStatus) {
        if version == .http1_1, status == .ok {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
            return
        }
        buffer.writeString("HTTP/\(version.major).\(version.minor) \(status.code) \(status.reasonPhrase)\r\n")
    }
}
