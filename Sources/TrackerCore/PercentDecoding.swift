/// Decoding of URL path segments and `application/x-www-form-urlencoded` query strings.
public enum PercentDecoding {
    /// Decodes `%XX` (and `+` as space when `plusIsSpace`); invalid escapes are kept literally,
    /// invalid UTF-8 is repaired, so a hostile URL never fails the request.
    public static func decode(_ text: Substring, plusIsSpace: Bool) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(text)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%"),
               let h1 = utf8.index(i, offsetBy: 1, limitedBy: utf8.endIndex), h1 != utf8.endIndex,
               let h2 = utf8.index(h1, offsetBy: 1, limitedBy: utf8.endIndex), h2 != utf8.endIndex,
               let hi = ASCII.hexValue(utf8[h1]), let lo = ASCII.hexValue(utf8[h2]) {
                out.append(hi << 4 | lo)
                i = utf8.index(after: h2)
                continue
            }
            out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
            i = utf8.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `a=1&b=2` → ordered pairs; a key without `=` has an empty value. Split on the bytes, as
    /// URL query parsing is defined (and Character-wise splitting showed in the pixel's profile).
    public static func queryPairs(_ query: String) -> [(String, String)] {
        query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { part in
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                return (decode(Substring(part[..<eq]), plusIsSpace: true), decode(Substring(part[part.index(after: eq)...]), plusIsSpace: true))
            }
            return (decode(Substring(part), plusIsSpace: true), "")
        }
    }
}
