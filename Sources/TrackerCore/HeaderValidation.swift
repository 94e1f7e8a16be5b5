/// What NIO's header validators checked, for headers this server makes itself: its answers (a
/// value taken from a request, decoded from a URL, must not split the answer with CR or LF) and
/// the header rules of the config. NIO's validators are not in the pipelines: proxied heads are
/// written as bytes, their headers checked by the parser that read them.
public enum HeaderValidation {
    /// Checked on every answer, over each string's own bytes.
    public static func isValid(_ header: (name: String, value: String)) -> Bool {
        var name = header.name
        var value = header.value
        return !name.isEmpty && name.withUTF8(allTokenBytes) && value.withUTF8(allValueBytes)
    }

    /// RFC 9110 §5.6.2 tchar: a bit per byte below 128 (a table of 256 Bools behind a lazily
    /// initialized global was a fifth of a pixel answer's head; `HeaderValidationTests` checks
    /// the masks against the RFC's list).
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        let mask: UInt64 = byte < 64 ? 0x03FF_6CFA_0000_0000 : byte < 128 ? 0x57FF_FFFF_C7FF_FFFE : 0
        return (mask >> UInt64(byte & 63)) & 1 == 1
    }

    /// RFC 9110 §5.5 field-value: visible characters, space, tab and obs-text; no controls.
    public static func isValueByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == 0x09
    }

    static func allTokenBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where !isTokenByte(byte) { return false }
        return true
    }

    static func allValueBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where !isValueByte(byte) { return false }
        return true
    }
}
