import Foundation
import Synchronization

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), by hand: a DateFormatter per request cost more
/// than serving the file.
enum HTTPDate {
    /// The current second's text, made once a second rather than per answer (as nginx does).
    static let cached = Mutex<(second: Int64, text: String)>((.min, ""))

    /// Now, for the `Date` header every answer carries (RFC 9110 §6.6.1).
    static func current(_ now: Date = Date()) -> String {
        let second = Int64(floor(now.timeIntervalSince1970))
        return cached.withLock { cached in
            if cached.second != second { cached = (second, format(now)) }
            return cached.text
        }
    }

    static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let day = days[Int((Int64(seconds) / 86400 % 7 + 7) % 7)]
        return "\(day), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func parse(_ text: String) -> Date? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[5] == "GMT", let day = Int32(fields[1]),
              let month = months.firstIndex(of: String(fields[2])), let year = Int32(fields[3]) else { return nil }
        let time = fields[4].split(separator: ":").compactMap { Int32($0) }
        guard time.count == 3 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = time[0]
        parts.tm_min = time[1]
        parts.tm_sec = time[2]
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
