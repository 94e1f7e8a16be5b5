import Foundation

/// Event times are whole milliseconds, written as ISO-8601 UTC (`2026-11-29T10:11:12.345Z`) so
/// stored rows are readable by people and tools, sort as text, and round-trip exactly.
public enum Timestamp {
    /// Whole milliseconds, rounded down, except that a time within a microsecond below a
    /// millisecond counts as that millisecond: `date(milliseconds: 999)` is 0.999 s, which times
    /// 1000 is 998.9999999999999 in floating point, and flooring that lost a millisecond (so
    /// `truncated` was not idempotent and some stored times were 1 ms early).
    public static func milliseconds(_ date: Date) -> Int64 {
        let exact = date.timeIntervalSince1970 * 1000
        let nearest = exact.rounded()
        return Int64(abs(exact - nearest) < 0.001 ? nearest : exact.rounded(.down))
    }

    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// The date truncated to whole milliseconds.
    public static func truncated(_ date: Date) -> Date {
        Self.date(milliseconds: milliseconds(date))
    }

    /// Written into the string's own storage: this runs several times per stored event (the row
    /// and its rollups), so the calendar date is computed from the day number by arithmetic
    /// (`civil`) rather than by `gmtime_r`.
    public static func format(_ date: Date) -> String {
        String(unsafeUninitializedCapacity: formattedLength) { write(date, to: $0) }
    }

    /// The length of every `format`ted date.
    public static let formattedLength = 24

    /// `format`'s text appended to a byte buffer, without a String in between (the embedded
    /// store binds four or five dates for every new visitor from one buffer).
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: formattedLength))
        bytes.withUnsafeMutableBufferPointer { all in
            _ = write(date, to: UnsafeMutableBufferPointer(rebasing: all[start...]))
        }
    }

    /// Writes the 24 bytes of `format` at the start of `out` and returns 24.
    static func write(_ date: Date, to out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let ms = milliseconds(date)
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(days)
        func put(_ value: Int, at start: Int, width: Int) {
            var v = value
            for i in stride(from: start + width - 1, through: start, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
        }
        put(year, at: 0, width: 4)
        put(month, at: 5, width: 2)
        put(day, at: 8, width: 2)
        put(secondOfDay / 3600, at: 11, width: 2)
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        put(secondOfDay % 60, at: 17, width: 2)
        put(millis, at: 20, width: 3)
        out[4] = UInt8(ascii: "-")
        out[7] = UInt8(ascii: "-")
        out[10] = UInt8(ascii: "T")
        out[13] = UInt8(ascii: ":")
        out[16] = UInt8(ascii: ":")
        out[19] = UInt8(ascii: ".")
        out[23] = UInt8(ascii: "Z")
        return formattedLength
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
    /// `civil_from_days`: 400-year eras, years starting in March so the leap day comes last).
    static func civil(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }

    /// Parses what `format` writes (and the same without milliseconds); nil otherwise.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 24 || b.count == 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int32(b[i] - 48)
            }
            return v
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var millis: Int32 = 0
        if b.count == 24 {
            guard b[19] == UInt8(ascii: "."), let m = number(20..<23) else { return nil }
            millis = m
        }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        return date(milliseconds: Int64(seconds) * 1000 + Int64(millis))
    }
}
