import Foundation
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

    /// Keys that differ only in ASCII case are equal and hash alike; other bytes compare exactly.
    @Test func caselessKeysIgnoreOnlyASCIICase() {
        let pairs = [("America/Los_Angeles", "america/los_angeles", true), ("UTC", "utc", true), ("Etc/GMT+1", "ETC/gmt+1", true),
                     ("Europe/Berlin", "Europe/Berlin ", false), ("Ü", "ü", false), ("A@", "a`", false), ("[", "{", false)]
        for (a, b, equal) in pairs {
            #expect((CaselessKey(a) == CaselessKey(b)) == equal, "\(a) \(b)")
            if equal { #expect(CaselessKey(a).hashValue == CaselessKey(b).hashValue, "\(a)") }
        }
        // Every zone of the table is found as written there (lower case) and in upper case.
        for (zone, country) in TimeZoneCountries.byZone {
            #expect(TimeZoneCountries.country(ofZone: zone) == country && TimeZoneCountries.country(ofZone: zone.uppercased()) == country)
        }
        #expect(TimeZoneCountries.country(ofZone: "Pacific/Auckland") == "NZ" && TimeZoneCountries.country(ofZone: "Mars/Olympus") == nil)
    }
}
