/// Upstream's REST form: `/tr/v1/vid/<id>/ename/signup` → `vid=<id>, ename=signup`, read from the
/// path after the route prefix (the HTTP layer strips `/tr/v1` or `/tr/v1/img`). A trailing key
/// without a value is dropped; keys are lower-cased, values are percent-decoded and keep their case
/// (upstream lower-cased them, §18.13).
public enum PathTuplets {
    public static func pairs(_ path: String) -> [(String, String)] {
        // Nearly every request has none: no split (an array of slices) for an empty path.
        guard path.utf8.contains(where: { $0 != UInt8(ascii: "/") }) else { return [] }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).drop(while: { $0.isEmpty })
        var result: [(String, String)] = []
        var iterator = segments.makeIterator()
        while let key = iterator.next() {
            guard let value = iterator.next() else { break }
            let k = PercentDecoding.decode(key, plusIsSpace: false).lowercased()
            guard !k.isEmpty else { continue }
            result.append((k, PercentDecoding.decode(value, plusIsSpace: false)))
        }
        return result
    }
}
