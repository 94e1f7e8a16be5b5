import Foundation
import TrackerCore
import TrackerStorage

/// The columns of `events` (written as RowBinary, `ClickHouseRowBinary`) and rows read back from
/// JSONEachRow.
enum ClickHouseEventRows {
    static let columns: [String] = ["eid", "ts", "server", "site"]
        + EventField.allCases.map(\.rawValue) + NumericField.allCases.map(\.rawValue)
        + ["params_keys", "params_values", "nparams_keys", "nparams_values"]

    static let selectList = columns.joined(separator: ", ")

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
