import Foundation
import Testing
@testable import TrackerCore

@Suite struct JSONParserTests {
    /// Foundation's parser is the oracle: equal trees for documents both accept.
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e\n\u00e9\ud83d\ude00"},"n":-1.5e3,"z":0}"#,
        #"[1,2,3]"#,
        #"  {"nested":{"deep":[{"x":"\"q\""}]}}  "#,
        #""just a string""#,
        #"{"emoji":"🙂","slash":"a\/b","tab":"\t"}"#,
    ])
    func agreesWithFoundation(_ text: String) throws {
        let ours = try JSONParser.parse(text)
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(ours == Self.convert(theirs))
    }

    @Test(arguments: [
        "{bad", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"unterminated", "{\"a\" 1}",
        "\"\\x\"", "\"\\ud83d\"", "tru", "{} {}", "", "\"\u{01}\"", "[1e999]",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        // Overlong, an encoded surrogate, truncated, a lone continuation byte, past U+10FFFF.
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBF]] {
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22] + bad + [0x22]) }
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0x5C, 0x6E] + bad + [0x22]) }
        }
    }

    /// Strings of random bytes (many not UTF-8), with and without an escape, are accepted exactly
    /// when the standard library's validating decoder accepts them, and give the same text.
    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        var random = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [[0x61], [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xEF, 0xBF, 0xBD],
                                 [0xC3], [0xA9], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80]]
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...6, using: &random)).flatMap { _ in pieces.randomElement(using: &random)! }
            let expected = bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
            for escaped in [false, true] {
                let json: [UInt8] = [0x22] + (escaped ? [0x5C, 0x74] : []) + bytes + [0x22]
                let parsed = try? JSONParser.parse(json)
                if let expected {
                    #expect(parsed == .string((escaped ? "\t" : "") + expected), "\(bytes)")
                } else {
                    #expect(parsed == nil, "\(bytes) is not UTF-8")
                }
            }
        }
    }

    @Test func boundsNestingDepth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func reportsWhereItFailed() {
        #expect(throws: JSONParser.Failure(message: "expected ',' or '}'", offset: 7)) { try JSONParser.parse("{\"a\":1 x}") }
    }

    @Test func writerRoundTrips() throws {
        let value: JSONValue = .object(["b": .array([.number(1), .number(2.5), .null]), "a": .string("q\"\n\u{01}")])
        let text = JSONWriter.serialize(value)
        #expect(text == #"{"a":"q\"\n\u0001","b":[1,2.5,null]}"#)
        #expect(try JSONParser.parse(text) == value)
    }

    /// Maps of any text (controls, quotes, backslashes, non-ASCII) written by the byte writer come
    /// back unchanged through our parser and through Foundation's, and the map shortcuts write
    /// what the general writer does.
    @Test func writerOutputReadsBackForAnyText() throws {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}",
                                          "é", "€", "\u{2028}", "😀", "中"]
        func text() -> String {
            String(String.UnicodeScalarView((0..<Int.random(in: 0...12)).map { _ in alphabet.randomElement()! }))
        }
        for _ in 0..<300 {
            var strings: [String: String] = [:]
            var numbers: [String: Double] = [:]
            for _ in 0..<Int.random(in: 0...6) {
                strings[text()] = text()
                numbers[text()] = [0, -1, 2.5, 1e20, 123_456_789].randomElement()!
            }
            let written = JSONWriter.serialize(strings)
            #expect(written == JSONWriter.serialize(.object(strings.mapValues { .string($0) })))
            // Keys in the standard library's order, one member after the other.
            let members = strings.keys.sorted().map { JSONWriter.serialize(.string($0)) + ":" + JSONWriter.serialize(.string(strings[$0]!)) }
            #expect(written == "{" + members.joined(separator: ",") + "}")
            #expect(try JSONParser.parse(written) == .object(strings.mapValues { .string($0) }))
            let foundation = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: String]
            #expect(foundation == strings)
            let numeric = JSONWriter.serialize(numbers)
            #expect(numeric == JSONWriter.serialize(.object(numbers.mapValues { .number($0) })))
            #expect(try JSONParser.parse(numeric) == .object(numbers.mapValues { .number($0) }))
        }
    }

    @Test func textOfValues() {
        #expect(JSONValue.number(1).text == "1")
        #expect(JSONValue.number(1.25).text == "1.25")
        #expect(JSONValue.bool(true).text == "true")
        #expect(JSONValue.null.text == nil)
        #expect(JSONValue.array([.number(1)]).text == "[1]")
        #expect(JSONValue.string(" 6 ").number == 6)
        #expect(JSONValue.string("six").number == nil)
    }

    static func convert(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            return .number(n.doubleValue)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(convert))
        case let o as [String: Any]: return .object(o.mapValues(convert))
        default: return .null
        }
    }
}
