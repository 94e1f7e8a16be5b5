import Foundation
import PostgresNIO
import TrackerCore
import TrackerStorage

/// How events map to rows of `events`: columns in one order for inserts and selects, derived from
/// the field enums as in the SQLite store.
enum PostgresEventRows {
    /// The field enums' cases, listed once (`allCases` builds a new array at every call).
    static let textFields = EventField.allCases
    static let numberFields = NumericField.allCases

    /// Integer columns of 4 bytes since migration 6 (values are clamped to their range); the
    /// others take 8.
    static let narrowIntegers: Set<NumericField> = [.cflags, .w, .h]

    static func integer(_ field: NumericField, _ value: Double) -> Int64 {
        let whole = value.rounded(.towardZero)
        guard narrowIntegers.contains(field) else { return Int64(exactly: whole) ?? 0 }
        return Int64(max(Double(Int32.min), min(Double(Int32.max), whole)))
    }

    static let columns: [String] = ["eid", "created", "server"]
        + EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue)
        + ["params", "nparams", "vid_text", "sid_text"]

    /// The columns in `event(_:)`'s order, as text where the row holds another type.
    static let selectList = (["eid::text", "created", "server"]
        + EventField.allCases.map { field in
            PostgresIdentity.textColumn(field).map { "coalesce(\($0), \(field.rawValue)::text)" } ?? field.rawValue
        }
        + NumericField.allCases.map(\.rawValue)
        + ["params::text", "nparams::text"]).joined(separator: ", ")

    /// `json`: the rows as PostgresJSONRows writes them.
    static func insert(json: String) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(json)
        let list = columns.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: "INSERT INTO events (\(list)) SELECT \(list) FROM json_populate_recordset(NULL::events, $1::json) "
            + "ON CONFLICT (eid, created) DO NOTHING", binds: bindings)
    }

    static func select(_ query: EventQuery) -> PostgresQuery {
        try filtered("SELECT \(selectList) FROM events", query, suffix: " ORDER BY created, eid LIMIT \(query.limit)")
    }

    static func count(_ query: EventQuery) -> PostgresQuery {
        try filtered("SELECT count(*)::bigint FROM events", query, suffix: "")
    }

    static func filtered(_ head: String, _ query: EventQuery, suffix: String) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(max(query.from, Date(timeIntervalSince1970: -62_135_596_800)))
        bindings.append(min(query.to, Date(timeIntervalSince1970: 253_402_300_799)))
        if let site = query.site { bindings.append(site) }
        let site = query.site == nil ? "" : " AND hhash = $3"
        return PostgresQuery(unsafeSQL: "\(head) WHERE created >= $1 AND created < $2\(site)\(suffix)", binds: bindings)
    }

    static func event(_ row: PostgresRandomAccessRow) throws -> Event {
        var index = 0
        func next() -> PostgresCell {
            defer { index += 1 }
            return row[index]
        }
        var event = Event(eid: try next().decode(String.self), created: Timestamp.truncated(try next().decode(Date.self)),
                          isServer: try next().decode(Bool.self))
        for field in textFields {
            if let value = try next().decode(String?.self) { event[field] = value }
        }
        for field in numberFields {
            let cell = next()
            let value = field.isInteger ? try cell.decode(Int64?.self).map(Double.init) : try cell.decode(Double?.self)
            if let value { event[field] = value }
        }
        if let text = try next().decode(String?.self), case .object(let map)? = try? JSONParser.parse(text) {
            event.params = ParamMap(map.compactMapValues(\.text))
        }
        if let text = try next().decode(String?.self), case .object(let map)? = try? JSONParser.parse(text) {
            event.nparams = ParamMap(map.compactMapValues { if case .number(let n) = $0 { return n } else { return nil } })
        }
        return event
    }
}
