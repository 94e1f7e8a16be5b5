import Testing
@testable import TrackerCore

@Suite struct PercentDecodingTests {
    @Test func queriesSplitIntoDecodedPairsInOrder() {
        let pairs = PercentDecoding.queryPairs("a=1&&b=&c&=x&d=1=2&q=%C3%A9+x%2B&k%3D=v%26&é=ü&bad=%zz%4")
        #expect(pairs.map(\.0) == ["a", "b", "c", "", "d", "q", "k=", "é", "bad"])
        #expect(pairs.map(\.1) == ["1", "", "", "x", "1=2", "é x+", "v&", "ü", "%zz%4"])
        #expect(PercentDecoding.queryPairs("").isEmpty && PercentDecoding.queryPairs("&&").isEmpty)
    }

    /// The byte-wise split agrees with splitting the text on `&` and `=` for any ASCII query.
    @Test func byteSplittingAgreesWithTextSplitting() {
        let alphabet = Array("ab=&%+2F ".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let query = String(decoding: (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            let expected = query.components(separatedBy: "&").filter { !$0.isEmpty }.map { part -> (String, String) in
                guard let eq = part.firstIndex(of: "=") else { return (PercentDecoding.decode(Substring(part), plusIsSpace: true), "") }
                return (PercentDecoding.decode(part[..<eq], plusIsSpace: true), PercentDecoding.decode(part[part.index(after: eq)...], plusIsSpace: true))
            }
            let pairs = PercentDecoding.queryPairs(query)
            #expect(pairs.map(\.0) == expected.map(\.0) && pairs.map(\.1) == expected.map(\.1), "\(query)")
        }
    }

    /// Against a plain decoder written here, on 3 000 random texts: valid and invalid escapes,
    /// escapes at the end, `+` both ways, non-ASCII, escaped bytes that are not UTF-8 (repaired).
    @Test func decodingAgreesWithAPlainDecoder() {
        func reference(_ text: String, _ plusIsSpace: Bool) -> String {
            let bytes = Array(text.utf8)
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                if bytes[i] == 37, i + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16),
                   bytes[(i + 1)...(i + 2)].allSatisfy({ $0 != 43 && $0 != 45 }) {
                    out.append(value)
                    i += 3
                } else {
                    out.append(plusIsSpace && bytes[i] == 43 ? 32 : bytes[i])
                    i += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        let pieces = ["%41", "%", "%4", "%zz", "%+1", "%-1", "+", "a", "é", "%C3%A9", "%FF", "%c3", "%a9", " ", "%25"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...8)).map { _ in pieces.randomElement()! }.joined()
            for plus in [true, false] {
                #expect(PercentDecoding.decode(Substring(text), plusIsSpace: plus) == reference(text, plus), "\(text)")
                #expect(PercentDecoding.decode(text.dropFirst(), plusIsSpace: plus) == reference(String(text.dropFirst()), plus), "\(text)")
            }
        }
    }

    /// `containsKey` agrees with the decoded pairs: a key with or without a value, escaped or
    /// `+`-encoded, never a prefix of another key or a value.
    @Test(arguments: [
        ("igqp=1&secret=x", true), ("secret=x&igqp", true), ("ig%71p=", true), ("a=1&&igqp=2", true),
        ("igqpx=1", false), ("a=igqp", false), ("xigqp=1", false), ("", false), ("&", false), ("ig+qp=1", false),
    ])
    func containsKeyAgreesWithThePairs(query: String, expected: Bool) {
        #expect(PercentDecoding.containsKey("igqp", in: query) == expected)
        #expect(PercentDecoding.queryPairs(query).contains { $0.0 == "igqp" } == expected)
        #expect(PercentDecoding.containsKey("ig qp", in: query) == (query == "ig+qp=1"))
    }
}
