import Foundation

/// UUIDs as the tracker uses them: server ids are UUIDv7 (time-ordered, RFC 9562), and any client
/// UUID version is accepted as an identifier (upstream replaced every non-v1 id, inflating visitors).
public enum TimeUUID {
    /// A UUIDv7: 48-bit Unix milliseconds, version 7, the millisecond's fraction in 12 bits
    /// (RFC 9562 §6.2, method 3: about a quarter of a microsecond), then 62 random bits.
    ///
    /// The fraction is what makes ids minted in turn sort in turn, not only by the millisecond:
    /// the store's indexes on them (`eid`, and the rollups' minted `vid` and `sid`) then grow at
    /// their right edge, where SQLite fills pages instead of splitting them (Sources/SQLite3).
    /// With random bits there, the tens of ids of a millisecond landed anywhere among each other.
    public static func v7(at date: Date, random: any RandomSource) -> UUID {
        let millis = max(0, Timestamp.milliseconds(date))
        let fraction = date.timeIntervalSince1970 * 1000 - Double(millis)
        let ticks = fraction > 0 ? UInt16(min(4095, fraction * 4096)) : 0
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { b in
            for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: UInt64(millis) >> (8 * (5 - UInt64(i)))) }
            b[6] = 0x70 | UInt8(ticks >> 8)
            b[7] = UInt8(truncatingIfNeeded: ticks)
            b.storeBytes(of: random.word().bigEndian, toByteOffset: 8, as: UInt64.self)
            b[8] = (b[8] & 0x3F) | 0x80
        }
        return UUID(uuid: bytes)
    }

    /// Parses a UUID in canonical text form, case-insensitively; nil for anything else. By hand:
    /// Foundation's parser was a fiftieth of a JSON event's cost (the cookies' ids are parsed on
    /// every request).
    public static func parse(_ text: String) -> UUID? {
        var upperCase = false
        return parse(text, upperCase: &upperCase)
    }

    /// The UUID and whether its text had upper-case digits (then it is not the canonical text).
    /// Callers that need both asked twice: a second pass over the bytes on every request's ids.
    public static func parse(_ text: String, upperCase: inout Bool) -> UUID? {
        var text = text
        var sawUpperCase = false
        defer { upperCase = sawUpperCase }
        return text.withUTF8 { bytes -> UUID? in
            guard bytes.count == 36 else { return nil }
            var out: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let parsed = withUnsafeMutableBytes(of: &out) { out -> Bool in
                var position = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        guard bytes[position] == UInt8(ascii: "-") else { return false }
                        position += 1
                    }
                    let (first, second) = (bytes[position], bytes[position + 1])
                    guard let high = ASCII.hexValue(first), let low = ASCII.hexValue(second) else { return false }
                    if first & 0x60 == 0x40 || second & 0x60 == 0x40 { sawUpperCase = true }
                    out[index] = high << 4 | low
                    position += 2
                }
                return true
            }
            return parsed ? UUID(uuid: out) : nil
        }
    }

    /// The canonical text of a UUID written any way, and the id itself when it is already that
    /// (a cookie's id, nearly always: no new string); nil when it is no UUID.
    public static func canonical(_ text: String) -> String? {
        var upperCase = false
        guard let uuid = parse(text, upperCase: &upperCase) else { return nil }
        return upperCase ? Self.text(uuid) : text
    }

    /// The version nibble (1, 4, 7...).
    public static func version(of uuid: UUID) -> Int {
        Int(uuid.uuid.6 >> 4)
    }

    /// Canonical lower-case text, as stored and returned. Written out byte by byte: ids are
    /// minted two or three times per request, and `uuidString.lowercased()` allocates twice.
    public static func text(_ uuid: UUID) -> String {
        withUnsafeBytes(of: uuid.uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = ASCII.hexDigit(byte >> 4)
                    out[position + 1] = ASCII.hexDigit(byte & 0x0F)
                    position += 2
                }
                return position
            }
        }
    }

    /// The creation time encoded in a v7 or v1 UUID, if any.
    public static func timestamp(of uuid: UUID) -> Date? {
        let u = uuid.uuid
        switch version(of: uuid) {
        case 7:
            let ms = [u.0, u.1, u.2, u.3, u.4, u.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return Date(timeIntervalSince1970: Double(ms) / 1000)
        case 1:
            let low = UInt64(u.0) << 24 | UInt64(u.1) << 16 | UInt64(u.2) << 8 | UInt64(u.3)
            let mid = UInt64(u.4) << 8 | UInt64(u.5)
            let high = UInt64(u.6 & 0x0F) << 8 | UInt64(u.7)
            let ticks = high << 48 | mid << 32 | low
            // 100 ns ticks since 1582-10-15.
            return Date(timeIntervalSince1970: Double(ticks) / 10_000_000 - 12_219_292_800)
        default:
            return nil
        }
    }
}
