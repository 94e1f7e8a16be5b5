import Testing
@testable import TrackerCore

@Suite struct ASCIITests {
    @Test(arguments: [("  a b \t\n", "a b"), ("", ""), ("   ", ""), ("x", "x"), ("\r\nÜber ", "Über")])
    func trimming(_ input: String, _ expected: String) {
        #expect(ASCII.trimmed(input) == expected)
    }

    @Test func hexDigitsAreLowerCaseAndReadBack() {
        #expect((0..<16).map { ASCII.hexDigit(UInt8($0)) } == Array("0123456789abcdef".utf8))
        #expect((0..<16).allSatisfy { ASCII.hexValue(ASCII.hexDigit(UInt8($0))) == UInt8($0) })
    }

    @Test func removingEveryOccurrence() {
        #expect(ASCII.removing("utm_", from: "utm_source") == "source")
        #expect(ASCII.removing("utm_", from: "utm_utm_x_utm_") == "x_")
        #expect(ASCII.removing("utm_", from: "plain") == "plain")
    }

    @Test func base64URLMatchesFoundationWithTheURLAlphabet() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(Hashing.base64URL(bytes) == expected)
        }
    }
}

import Foundation
