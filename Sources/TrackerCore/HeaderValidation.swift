/// What NIO's header validators checked, for headers this server makes itself: its answers (a
/// value taken from a request, decoded from a URL, must not split the answer with CR or LF) and
/// the header rules of the config. NIO's validators are not in the pipelines: proxied heads are
/// written as bytes, their headers checked by the parser that read them.
public enum HeaderValidation {
    public static func isValid(_ header: (name: String, value: String)) -> Bool {
        !header.name.isEmpty && all(header.name, tokenByte) && all(header.value, valueByte)
    }

    /// RFC 9110 §5.6.2 tchar.
    public static func isTokenByte(_ byte: UInt8) -> Bool { tokenByte[Int(byte)] }

    /// RFC 9110 §5.5 field-value: visible characters, space, tab and obs-text; no controls.
    public static func isValueByte(_ byte: UInt8) -> Bool { valueByte[Int(byte)] }

    /// Checked on every answer: a table lookup per byte over the string's own storage.
    static func all(_ text: String, _ table: [Bool]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes where !table[Int(byte)] { return false }
            return true
        }
    }

    static let tokenByte: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static let valueByte: [Bool] = (0..<256).map { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
}
