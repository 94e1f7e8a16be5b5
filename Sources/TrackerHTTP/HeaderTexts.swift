#if canImport(Glibc)
import Glibc
#endif

/// The texts of recent requests' header lines, by line number, for one thread (a `DirectLane`):
/// a name or value whose bytes equal what the same line held last time is that String again
/// instead of a new one. The requests a server sees repeat most of their headers (browsers of a
/// kind send the same User-Agent, Accept-*, client hints and Origin, and the tracker script its
/// Content-Type); a new string for each was a heap allocation, a copy and a free, about a tenth
/// of a real browser's request (`bench/browser.lua`). Only texts too long to be stored inside a
/// String are kept (shorter ones cost no allocation), and no Cookie value: it is each visitor's own.
final class HeaderTexts {
    static let lines = 32
    private var names = [String](repeating: "", count: lines)
    private var values = [String](repeating: "", count: lines)

    func name(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, line: Int) -> String {
        guard range.count > 15, line < Self.lines else { return PlainRequestParser.text(bytes, range) }
        return Self.reuse(&names[line], bytes, range)
    }

    func value(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, line: Int) -> String {
        guard range.count > 15, line < Self.lines else { return PlainRequestParser.text(bytes, range) }
        return Self.reuse(&values[line], bytes, range)
    }

    private static func reuse(_ slot: inout String, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let same = slot.withUTF8 { kept in
            kept.count == range.count && memcmp(kept.baseAddress!, bytes.baseAddress! + range.lowerBound, range.count) == 0
        }
        if !same { slot = PlainRequestParser.text(bytes, range) }
        return slot
    }
}
