import Testing
@testable import TrackerCore

struct HeaderValidationTests {
    /// Every byte against the RFC 9110 definitions, written out as the RFC writes them.
    @Test func everyByteIsClassifiedAsTheRFCSays() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for value in 0...255 {
            let byte = UInt8(value)
            #expect(HeaderValidation.isTokenByte(byte) == tchar.contains(byte), "token byte \(value)")
            // field-vchar = VCHAR / obs-text, plus SP and HTAB inside a value.
            let fieldByte = (0x21...0x7E).contains(value) || value >= 0x80 || value == 0x20 || value == 0x09
            #expect(HeaderValidation.isValueByte(byte) == fieldByte, "value byte \(value)")
        }
    }

    /// Every byte at every place of values long enough to be read a word at a time.
    @Test func aValueIsRefusedWhereverItsBadByteIs() {
        for length in [7, 8, 9, 16, 23, 40] {
            for place in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[place] = UInt8(value)
                    let fieldByte = (0x20...0x7E).contains(value) || value >= 0x80 || value == 0x09
                    let valid = bytes.withUnsafeBufferPointer { HeaderValidation.allValueBytes($0) }
                    #expect(valid == fieldByte, "byte \(value) at \(place) of \(length)")
                }
            }
        }
    }

    @Test func namesAndValuesAreCheckedWhole() {
        #expect(HeaderValidation.isValid(("set-cookie", "vid=0190; Path=/; SameSite=Lax")))
        #expect(HeaderValidation.isValid(("x-obs", "caf\u{E9}")))
        #expect(!HeaderValidation.isValid(("x-a", "one\ntwo")))
        #expect(!HeaderValidation.isValid(("x-a\u{E9}", "v")))
        #expect(!HeaderValidation.isValid(("x:a", "v")))
        #expect(!HeaderValidation.isValid(("x-a", "\u{7F}")))
    }
}
