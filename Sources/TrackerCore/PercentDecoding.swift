/// Decoding of URL path segments and `application/x-www-form-urlencoded` query strings.
public enum PercentDecoding {
    /// Decodes `%XX` (and `+` as space when `plusIsSpace`); invalid escapes are kept literally,
    /// invalid UTF-8 is repaired, so a hostile URL never fails the request.
    public static func decode(_ text: Substring, plusIsSpace: Bool) -> String {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode($0, plusIsSpace: plusIsSpace) }) { return decoded }
        var copy = String(text)
        return copy.withUTF8 { decode($0, plusIsSpace: plusIsSpace) }
    }

    /// `a=1&b=2` → ordered pairs; a key without `=` has an empty value. Split on the bytes, as
    /// URL query parsing is defined (and Character-wise splitting showed in the pixel's profile).
    public static func queryPairs(_ query: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        forEachQueryPair(query) { key, value in pairs.append((String(decoding: key, as: UTF8.self), value)) }
        return pairs
    }

    /// Whether a query has the key `name` (decoded), with or without a value; no value is decoded
    /// and no pair list made (the pixel asks this of every query, for `IgnoreQueryParamsKey`).
    public static func containsKey(_ name: String, in query: String) -> Bool {
        var name = name
        return name.withUTF8 { wanted in
            var found = false
            forEachQueryKey(query) { key, _, _ in found = found || key.elementsEqual(wanted) }
            return found
        }
    }

    /// The pairs of `queryPairs` in order, each key as its decoded bytes (valid only during the
    /// call): a tracking hit looks most keys up from their bytes, and making strings of them and
    /// an array of the pairs was a fifth of the pixel's parsing.
    public static func forEachQueryPair(_ query: String, _ body: (UnsafeBufferPointer<UInt8>, String) -> Void) {
        forEachQueryKey(query) { key, bytes, value in
            body(key, value.map { decode(UnsafeBufferPointer(rebasing: bytes[$0]), plusIsSpace: true) } ?? "")
        }
    }

    /// Each part's key, decoded into one reused buffer, with the query's bytes and where the
    /// part's still encoded value lies in them (nil without `=`).
    static func forEachQueryKey(_ query: String,
                                _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Range<Int>?) -> Void) {
        var query = query
        query.withUTF8 { bytes in
            // Decoding never lengthens: room for the whole query holds any key. On the stack for
            // the usual query (an array grown key by key was reallocated four times per pixel).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { key in
                ASCII.forEachPart(of: bytes, separator: UInt8(ascii: "&")) { part, equals in
                    let count = decode(UnsafeBufferPointer(rebasing: bytes[part.lowerBound..<(equals ?? part.upperBound)]),
                                       plusIsSpace: true, into: key)
                    body(UnsafeBufferPointer(rebasing: key[..<count]), bytes, equals.map { ($0 + 1)..<part.upperBound })
                }
            }
        }
    }

    /// `decode` on bytes already known to be UTF-8 (a String's): the one decoding loop.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: bytes.count) { decode(bytes, plusIsSpace: plusIsSpace, into: $0) }
    }

    /// Writes the decoded bytes at the start of `out` (at least as long as `bytes`) and returns
    /// how many.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var i = 0
        var count = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = ASCII.hexValue(bytes[i + 1]), let lo = ASCII.hexValue(bytes[i + 2]) {
                out[count] = hi << 4 | lo
                count += 1
                i += 3
                continue
            }
            out[count] = plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b
            count += 1
            i += 1
        }
        return count
    }
}
