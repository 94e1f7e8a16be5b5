import Foundation
import TrackerCore
import TrackerStorage

/// How events map to rows of `events` and back, in JSONEachRow.
enum ClickHouseEventRows {
    static let columns: [String] = ["eid", "ts", "server", "site"]
        + EventField.allCases.map(\.rawValue) + NumericField.allCases.map(\.rawValue)
        + ["params_keys", "params_values", "nparams_keys", "nparams_values"]

    static let selectList = columns.joined(separator: ", ")

    /// One JSON object per line, written as bytes (no intermediate strings: encoding is most of a
    /// node's cost when it feeds ClickHouse).
    static func body(_ events: some Collection<Event>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 700)
        for event in events {
            out += eidKey
            JSONWriter.quote(event.eid, into: &out)
            out += Array(",\"ts\":\(Timestamp.milliseconds(event.created)),\"server\":\(event.isServer ? 1 : 0),\"site\":".utf8)
            JSONWriter.quote(event[.hhash] ?? "", into: &out)
            for field in EventField.allCases {
                guard let value = event[field] else { continue }
                out += keys[field.rawValue]!
                JSONWriter.quote(value, into: &out)
            }
            for field in NumericField.allCases {
                guard let value = event[field], value.isFinite else { continue }
                out += keys[field.rawValue]!
                out += Array((field.isInteger ? String(Int64(exactly: value.rounded(.towardZero)) ?? 0) : "\(value)").utf8)
            }
            if event.params.isEmpty && event.nparams.isEmpty {
                out += emptyMaps
            } else {
                let params = event.params.sorted { $0.key < $1.key }
                let nparams = event.nparams.filter { $0.value.isFinite }.sorted { $0.key < $1.key }
                out += Array((",\"params_keys\":" + JSONWriter.serialize(.array(params.map { .string($0.key) }))
                    + ",\"params_values\":" + JSONWriter.serialize(.array(params.map { .string($0.value) }))
                    + ",\"nparams_keys\":" + JSONWriter.serialize(.array(nparams.map { .string($0.key) }))
                    + ",\"nparams_values\":" + JSONWriter.serialize(.array(nparams.map { .number($0.value) }))).utf8)
            }
            out += Array("}\n".utf8)
        }
        return out
    }

    static let eidKey = Array("{\"eid\":".utf8)
    static let keys: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: (EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue)).map { ($0, Array(",\"\($0)\":".utf8)) })
    static let emptyMaps = Array(",\"params_keys\":[],\"params_values\":[],\"nparams_keys\":[],\"nparams_values\":[]".utf8)

    static func event(_ row: [String: JSONValue]) -> Event? {
        guard let eid = row["eid"]?.text, let ts = row["ts"]?.number else { return nil }
        var event = Event(eid: eid, created: Timestamp.date(milliseconds: Int64(ts)), isServer: row["server"]?.number == 1)
        for field in EventField.allCases {
            if let value = row[field.rawValue], !value.isNull, let text = value.text { event[field] = text }
        }
        for field in NumericField.allCases {
            if let value = row[field.rawValue]?.number { event[field] = value }
        }
        if case .array(let keys)? = row["params_keys"], case .array(let values)? = row["params_values"] {
            for (key, value) in zip(keys, values) { if let k = key.text, let v = value.text { event.params[k] = v } }
        }
        if case .array(let keys)? = row["nparams_keys"], case .array(let values)? = row["nparams_values"] {
            for (key, value) in zip(keys, values) { if let k = key.text, let v = value.number { event.nparams[k] = v } }
        }
        return event
    }

    /// The WHERE clause of a query: times in milliseconds, the site quoted.
    static func filter(_ query: EventQuery) -> String {
        let from = max(query.from, Date(timeIntervalSince1970: -62_135_596_800))
        let to = min(query.to, Date(timeIntervalSince1970: 253_402_300_799))
        var clause = "ts >= \(Timestamp.milliseconds(from)) AND ts < \(Timestamp.milliseconds(to))"
        if let site = query.site { clause += " AND site = " + quoted(site) }
        return clause
    }

    /// A ClickHouse string literal.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
