import Foundation
import TrackerCore

/// Events as ClickHouse's RowBinary, in `ClickHouseEventRows.columns` order (`day` is left to its
/// DEFAULT): strings as a LEB128 length and bytes, integers and floats little-endian, a Nullable as
/// a 0/1 byte before its value, arrays as a length and their items. Against JSONEachRow it saves
/// the node the quoting and the server the parsing: both sides of a batch cost less.
enum ClickHouseRowBinary {
    static func body(_ events: some Collection<Event>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 400)
        for event in events {
            string(event.eid, &out)
            integer(Timestamp.milliseconds(event.created), &out)
            out.append(event.isServer ? 1 : 0)
            string(event[.hhash] ?? "", &out)
            for field in EventField.allCases {
                if let value = event[field] {
                    out.append(0)
                    string(value, &out)
                } else {
                    out.append(1)
                }
            }
            for field in NumericField.allCases {
                guard let value = event[field], value.isFinite else {
                    out.append(1)
                    continue
                }
                out.append(0)
                if field.isInteger {
                    integer(Int64(exactly: value.rounded(.towardZero)) ?? 0, &out)
                } else {
                    integer(Int64(bitPattern: value.bitPattern), &out)
                }
            }
            let params = event.params.sorted { $0.key < $1.key }
            length(params.count, &out)
            for (key, _) in params { string(key, &out) }
            length(params.count, &out)
            for (_, value) in params { string(value, &out) }
            let nparams = event.nparams.filter { $0.value.isFinite }.sorted { $0.key < $1.key }
            length(nparams.count, &out)
            for (key, _) in nparams { string(key, &out) }
            length(nparams.count, &out)
            for (_, value) in nparams { integer(Int64(bitPattern: value.bitPattern), &out) }
        }
        return out
    }

    static func length(_ count: Int, _ out: inout [UInt8]) {
        var value = UInt64(count)
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func string(_ text: String, _ out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            length(bytes.count, &out)
            out.append(contentsOf: bytes)
        }
    }

    static func integer(_ value: Int64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}
