/// Byte-level text helpers for the request path, where Foundation's CharacterSet-based trimming
/// and `replacingOccurrences` showed up in profiles.
public enum ASCII {
    /// Trims spaces, tabs, CR and LF from both ends.
    public static func trimmed(_ text: String) -> String {
        // Most values (every text field of every event) have nothing to trim: two bytes say so,
        // read from the string's own bytes (its UTF-8 view's `last` was most of this function).
        var text = text
        let trimmedText = text.withUTF8 { bytes -> String? in
            guard let first = bytes.first, let last = bytes.last, isSpace(first) || isSpace(last) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[trimmed(0..<bytes.count, in: bytes)]), as: UTF8.self)
        }
        return trimmedText ?? text
    }

    /// The part of `range` in `bytes` without spaces, tabs, CR and LF at either end: trimming
    /// without making strings first (the cookie parser).
    public static func trimmed(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var (start, end) = (range.lowerBound, range.upperBound)
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    /// The parts of `bytes` between `separator`s, in order, each as its range and the position of
    /// its first `=` (nil without one); empty parts are skipped. Query strings (`&`) and Cookie
    /// headers (`;`) are read this way, on the bytes.
    public static func forEachPart(of bytes: UnsafeBufferPointer<UInt8>, separator: UInt8, _ body: (Range<Int>, Int?) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            var equals: Int?
            while end < bytes.count, bytes[end] != separator {
                if equals == nil, bytes[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            if end > start { body(start..<end, equals) }
            start = end + 1
        }
    }

    /// Lower-cased: byte by byte when the text is ASCII (nearly always: hosts, language tags,
    /// keys), else with Unicode's case mapping.
    public static func lowercasedText(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? lowercased(text) : text.lowercased()
    }

    /// One byte in ASCII lower case.
    @inlinable public static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// ASCII lower case without Foundation; returns `text` itself when it has no upper case.
    /// Read from the string's own bytes: iterating its UTF-8 view showed in the profile of every
    /// request (the Host header is lower-cased for each).
    public static func lowercased(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for (i, byte) in bytes.enumerated() { out[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
                return bytes.count
            }
        } ?? text
    }

    /// `text` equals `lowercase` (already lower case) ignoring ASCII case, without allocating.
    public static func equalsIgnoringCase(_ text: String, lowercase: String) -> Bool {
        let a = text.utf8, b = lowercase.utf8
        guard a.count == b.count else { return false }
        return a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in equalsIgnoringCase(x, lowercase: y) }
        }.flatMap { $0 } ?? a.elementsEqual(b) { $0 == $1 || ($0 >= 0x41 && $0 <= 0x5A && $0 | 0x20 == $1) }
    }

    /// `text` starts with `lowercase` (already lower case) ignoring ASCII case, without allocating.
    public static func hasPrefixIgnoringCase(_ text: String, lowercase prefix: StaticString) -> Bool {
        let a = text.utf8
        guard a.count >= prefix.utf8CodeUnitCount else { return false }
        let b = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return zip(a, b).allSatisfy { $0 == $1 || ($0 >= 0x41 && $0 <= 0x5A && $0 | 0x20 == $1) }
    }

    public static func equalsIgnoringCase(_ text: UnsafeBufferPointer<UInt8>, lowercase: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count == lowercase.count else { return false }
        for i in 0..<text.count {
            let x = text[i], y = lowercase[i]
            if x != y, !(x >= 0x41 && x <= 0x5A && x | 0x20 == y) { return false }
        }
        return true
    }

    /// The lower-case hexadecimal digit of a value 0...15.
    @inlinable public static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// The value of a hexadecimal digit (either case); nil for anything else.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Removes every occurrence of `needle` (ASCII) from `text`.
    public static func removing(_ needle: String, from text: String) -> String {
        // Most texts (every query key of every hit) do not contain it: answered without copying.
        guard let first = needle.utf8.first, text.utf8.count >= needle.utf8.count,
              text.utf8.contains(first) else { return text }
        let n = Array(needle.utf8), t = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = 0
        var changed = false
        while i < t.count {
            if i + n.count <= t.count, t[i..<(i + n.count)].elementsEqual(n) {
                i += n.count
                changed = true
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
