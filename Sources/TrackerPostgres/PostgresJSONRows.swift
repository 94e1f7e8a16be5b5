import Foundation
import TrackerCore

/// A batch as one JSON array of row objects, inserted by one statement through
/// `json_populate_recordset` (PostgreSQL parses it in C, one parameter for the whole batch).
///
/// Why not COPY, which this replaced: postgres-nio's `copyFrom` stops the process with a
/// precondition failure when the server closes the connection in the middle of a COPY
/// (ConnectionStateMachine: "Copy mode is only supported for extended queries"), which a database
/// restart does; the outage test hit it. An ordinary statement fails with an error instead, and
/// `ON CONFLICT DO NOTHING` in the same statement makes a replay need no second path.
enum PostgresJSONRows {
    static func write(_ events: ArraySlice<Event>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 700)
        out.append(UInt8(ascii: "["))
        for event in events {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"eid":"#.utf8)
            JSONWriter.quote(event.eid, into: &out)
            out += Array(#","created":""#.utf8) + Array(Timestamp.format(event.created).utf8) + [UInt8(ascii: "\"")]
            out += Array((event.isServer ? #","server":true"# : #","server":false"#).utf8)
            for field in PostgresEventRows.textFields {
                guard let value = event[field] else { continue }
                if let textColumn = PostgresIdentity.textColumn(field) {
                    let split = PostgresIdentity.split(value)
                    member(field.rawValue, split.uuid, &out)
                    if let text = split.text { member(textColumn, text, &out) }
                } else {
                    member(field.rawValue, value, &out)
                }
            }
            for field in PostgresEventRows.numberFields {
                guard let value = event[field], value.isFinite else { continue }
                let number = field.isInteger ? String(PostgresEventRows.integer(field, value)) : JSONValue.format(value)
                out += Array(",\"\(field.rawValue)\":\(number)".utf8)
            }
            if !event.params.isEmpty { out += Array(",\"params\":\(JSONWriter.serialize(event.params))".utf8) }
            if !event.nparams.isEmpty { out += Array(",\"nparams\":\(JSONWriter.serialize(event.nparams))".utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `,"key":"value"`; NUL is dropped (PostgreSQL text cannot hold it, and `\u0000` in JSON fails).
    static func member(_ key: String, _ value: String, _ out: inout [UInt8]) {
        out += Array(",\"\(key)\":".utf8)
        JSONWriter.quote(value.utf8.contains(0) ? value.replacingOccurrences(of: "\0", with: "") : value, into: &out)
    }
}
