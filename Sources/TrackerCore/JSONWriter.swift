/// Compact JSON output for stored columns (`params`, `nparams`) and API answers. Keys are sorted so
/// that equal values give equal text (tests, golden files, dedup).
public enum JSONWriter {
    /// Built as bytes, copying runs that need no escape at once: the stores write two of these
    /// per event (`params`, `nparams`), and appending scalar by scalar to a String was 4 % of a
    /// JSON event's CPU.
    public static func serialize(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func serialize(_ map: [String: String]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + map.count * 24)
        write(map, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func serialize(_ map: [String: Double]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + map.count * 24)
        write(map, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func serialize(_ map: ParamMap<String>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + map.count * 24)
        write(map, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func serialize(_ map: ParamMap<Double>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + map.count * 24)
        write(map, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func write(_ map: ParamMap<String>, into out: inout [UInt8]) {
        object(map, into: &out) { value, out in quote(value, into: &out) }
    }

    public static func write(_ map: ParamMap<Double>, into out: inout [UInt8]) {
        object(map, into: &out) { value, out in out.append(contentsOf: JSONValue.format(value).utf8) }
    }

    /// The object with its keys sorted, appended to `out`.
    public static func write(_ map: [String: String], into out: inout [UInt8]) {
        object(map, into: &out) { value, out in quote(value, into: &out) }
    }

    public static func write(_ map: [String: Double], into out: inout [UInt8]) {
        object(map, into: &out) { value, out in out.append(contentsOf: JSONValue.format(value).utf8) }
    }

    /// Entries sorted by key (not the keys, each then looked up again); one entry, as most maps
    /// of an event have, needs no list at all.
    static func object<Entries: Collection, Value>(_ map: Entries, into out: inout [UInt8], _ writeValue: (Value, inout [UInt8]) -> Void)
        where Entries.Element == (key: String, value: Value) {
        out.append(UInt8(ascii: "{"))
        func member(_ key: String, _ value: Value) {
            quote(key, into: &out)
            out.append(UInt8(ascii: ":"))
            writeValue(value, &out)
        }
        if map.count == 1, let (key, value) = map.first {
            member(key, value)
        } else if map.count > 1 {
            // Sorted on the stack (a sorted copy of the entries was an allocation per map, two
            // per stored event).
            withUnsafeTemporaryAllocation(of: (key: String, value: Value).self, capacity: map.count) { space in
                var count = 0
                for entry in map where count < space.count {
                    (space.baseAddress! + count).initialize(to: entry)
                    count += 1
                }
                var entries = UnsafeMutableBufferPointer(rebasing: space[..<count])
                defer { _ = entries.deinitialize() }
                entries.sort { $0.key < $1.key }
                for (i, entry) in entries.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    member(entry.key, entry.value)
                }
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: JSONValue.format(n).utf8)
        case .string(let s): quote(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            object(fields, into: &out) { value, out in write(value, into: &out) }
        }
    }

    public static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// The same quoting into bytes, copying runs that need no escape at once (the publishing
    /// hot path encodes every event this way).
    public static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            var runStart = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                default:
                    out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), ASCII.hexDigit(byte >> 4), ASCII.hexDigit(byte & 15)]
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
