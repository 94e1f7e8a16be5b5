/// A small validating JSON parser over bytes. Foundation's JSONDecoder costs about 31 µs per event
/// on this class of machine and this about 5 µs; it is also bounded (depth, size) so that hostile
/// input cannot exhaust the stack. JSONSerialization is the oracle in its tests.
public struct JSONParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    public static let maximumDepth = 32

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(Failure) in
            var parser = Cursor(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.fail("unexpected data after the value") }
            return value
        }
    }

    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8))
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            guard index < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("unexpected end of input") }
            for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw fail("invalid literal") }
            index += count
        }

        mutating func object(depth: Int) throws(Failure) -> JSONValue {
            // Events carry a dozen or more fields: growing from empty rehashed them four times.
            // (Sized at creation: `reserveCapacity` is not specialized, and asked the runtime for
            // type metadata on every call.)
            var result = [String: JSONValue](minimumCapacity: 8)
            try members(depth: depth) { key, value in result[key.string] = value }
            return .object(result)
        }

        /// Parses the object at the cursor and hands each member to `member` as it goes, so that a
        /// caller with its own map (`HitParser`) builds no dictionary and, for plain ASCII keys,
        /// no key string. A repeated key is handed over each time; the last one wins.
        mutating func members(depth: Int, _ member: (JSONKey, JSONValue) -> Void) throws(Failure) {
            guard depth <= JSONParser.maximumDepth else { throw fail("nesting too deep") }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try key()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                member(key, try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return }
                throw fail("expected ',' or '}'")
            }
        }

        /// A key of plain ASCII without escapes (nearly every key) as its bytes in the input;
        /// any other as a decoded, validated string.
        mutating func key() throws(Failure) -> JSONKey {
            let start = index + 1
            var end = start
            while end < bytes.count {
                let b = bytes[end]
                if b == UInt8(ascii: "\"") {
                    index = end + 1
                    return .bytes(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                }
                if b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
                end += 1
            }
            return .text(try string())
        }

        mutating func array(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= JSONParser.maximumDepth else { throw fail("nesting too deep") }
            index += 1
            var result: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(result) }
            while true {
                skipWhitespace()
                result.append(try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(result) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func number() throws(Failure) -> Double {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            // Most numbers are small integers: exact as a Double, without making a string.
            let negative = bytes[start] == UInt8(ascii: "-")
            let digits = index - start - (negative ? 1 : 0)
            if digits <= 15 {
                var integer: Int64 = 0
                var position = negative ? start + 1 : start
                while position < index, isDigit(bytes[position]) {
                    integer = integer * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                    position += 1
                }
                if position == index { return negative ? -Double(integer) : Double(integer) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw Failure(message: "number out of range", offset: start) }
            return value
        }

        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        mutating func string() throws(Failure) -> String {
            index += 1
            let start = index
            // Fast path: no escapes.
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    return try validUTF8(slice, at: start)
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw fail("control character in string") }
                index += 1
            }
            var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let b = bytes[index]
                switch b {
                case UInt8(ascii: "\""):
                    index += 1
                    return try out.withUnsafeBufferPointer { buffer throws(Failure) in try validUTF8(buffer, at: start) }
                case UInt8(ascii: "\\"):
                    index += 1
                    try escape(into: &out)
                case 0..<0x20:
                    throw fail("control character in string")
                default:
                    out.append(b)
                    index += 1
                }
            }
            throw fail("unterminated string")
        }

        /// `String(validating:as:)` is generic and not specialized here: it asked the runtime for
        /// type metadata on every string, a twentieth of a JSON event's CPU. Decoding repairs
        /// invalid UTF-8 (with U+FFFD) instead of failing, so a string whose bytes changed was
        /// not valid; ASCII, the usual case, is valid as it is.
        func validUTF8(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int) throws(Failure) -> String {
            let s = String(decoding: buffer, as: UTF8.self)
            guard buffer.allSatisfy({ $0 < 0x80 }) || s.utf8.elementsEqual(buffer) else {
                throw Failure(message: "invalid UTF-8 in string", offset: offset)
            }
            return s
        }

        mutating func escape(into out: inout [UInt8]) throws(Failure) {
            guard index < bytes.count else { throw fail("unterminated escape") }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid code point") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw fail("invalid escape")
            }
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                index += 1
            }
            return v
        }
    }
}

/// An object key: the input's own bytes when plain ASCII, else the decoded string.
enum JSONKey {
    case bytes(UnsafeBufferPointer<UInt8>)
    case text(String)

    var string: String {
        switch self {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .text(let text): return text
        }
    }

    /// Exactly `params`, as upstream compared it (before lower-casing).
    var isParams: Bool {
        switch self {
        case .bytes(let bytes): return bytes.elementsEqual("params".utf8)
        case .text(let text): return text == "params"
        }
    }
}
