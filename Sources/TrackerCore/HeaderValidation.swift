/// What NIO's header validators checked, for headers this server makes itself: its answers (a
/// value taken from a request, decoded from a URL, must not split the answer with CR or LF) and
/// the header rules of the config. NIO's validators are not in the pipelines: proxied heads are
/// written as bytes, their headers checked by the parser that read them.
public enum HeaderValidation {
    public static func isValid(_ header: (name: String, value: String)) -> Bool {
        !header.name.isEmpty && header.name.utf8.allSatisfy(isTokenByte) && header.value.utf8.allSatisfy(isValueByte)
    }

    /// RFC 9110 §5.6.2 tchar.
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// RFC 9110 §5.5 field-value: visible characters, space, tab and obs-text; no controls.
    public static func isValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }
}
