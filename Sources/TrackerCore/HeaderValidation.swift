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
    @inlinable public static func isTokenByte(_ byte: UInt8) -> Bool {
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

    /// Eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7F is all value
    /// bytes, which is nearly every word of every value (a set-cookie value is a hundred bytes,
    /// and byte by byte this was still a tenth of the answer's head). A word that may hold a tab,
    /// or anything else, is checked byte by byte.
    public static func allValueBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                // A byte below 0x20 (of one below 0x80), or a zero byte of `word ^ 0x7F...`:
                // the classic test for a byte below a bound, exact when no earlier byte matches.
                let below = (word &- ones &* 0x20) & ~word & highs
                let deletes = word ^ (ones &* 0x7F)
                let delete = (deletes &- ones) & ~deletes & highs
                if below | delete != 0 { break }
                index += 8
            }
        }
        while index < bytes.count {
            guard isValueByte(bytes[index]) else { return false }
            index += 1
        }
        return true
    }
}
