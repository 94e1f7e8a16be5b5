import Foundation
import TrackerCore

/// How an `Event` maps to a row of `events`: the column list is derived from the field enums, so
/// adding a field to `EventField` and a column in a migration is all it takes.
enum EventRowMapping {
    static let columns: [String] = ["eid", "created", "server"]
        + EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue)
        + ["params", "nparams"]

    /// The insert up to its VALUES: rows are added by `RowChunks`, `columns.count` parameters each.
    static let insertHead = "INSERT OR IGNORE INTO events (\(columns.joined(separator: ", ")))"

    static let selectList = columns.joined(separator: ", ")

    /// A field's parameter follows from its place in the declaration (its tag), as `columns` does.
    static func textParameter(_ field: EventField) -> Int32 { 4 + Int32(field.tag) }
    static let firstNumberParameter = Int32(4 + EventField.allCases.count)
    static func numberParameter(_ field: NumericField) -> Int32 { firstNumberParameter + Int32(field.tag) }
    static let paramsParameter = Int32(4 + EventField.allCases.count + NumericField.allCases.count)

    /// Binds only the fields the event has (the statement's bindings are NULL after each reset):
    /// numbers directly, text into `text`, whose `step` binds it and runs the statement. Parameter
    /// numbers are shifted by `offset`, the row's place in a multi-row INSERT (`RowChunks`).
    static func bind(_ event: Event, to statement: SQLiteStatement, text: BoundText, offset: Int32) {
        text.add(offset + 1, event.eid)
        text.add(offset + 2, event.created)
        statement.bind(offset + 3, Int64(event.isServer ? 1 : 0))
        for (field, value) in event.text { text.add(offset + textParameter(field), value) }
        for (field, value) in event.numbers {
            if field.isInteger {
                statement.bind(offset + numberParameter(field), Int64(exactly: value.rounded(.towardZero)) ?? 0)
            } else {
                statement.bind(offset + numberParameter(field), value)
            }
        }
        if !event.params.isEmpty { text.add(offset + paramsParameter) { JSONWriter.write(event.params, into: &$0) } }
        if !event.nparams.isEmpty { text.add(offset + paramsParameter + 1) { JSONWriter.write(event.nparams, into: &$0) } }
    }

    static func read(_ statement: SQLiteStatement) -> Event {
        var index: Int32 = 0
        func next() -> Int32 { defer { index += 1 }; return index }
        var event = Event(eid: statement.text(next()) ?? "",
                          created: statement.text(next()).flatMap(Timestamp.parse) ?? .distantPast,
                          isServer: statement.int64(next()) == 1)
        for field in EventField.allCases {
            if let value = statement.text(next()) { event[field] = value }
        }
        for field in NumericField.allCases {
            let column = next()
            if let value = field.isInteger ? statement.int64(column).map(Double.init) : statement.double(column) {
                event[field] = value
            }
        }
        if let text = statement.text(next()), case .object(let map)? = try? JSONParser.parse(text) {
            event.params = map.compactMapValues(\.text)
        }
        if let text = statement.text(next()), case .object(let map)? = try? JSONParser.parse(text) {
            event.nparams = map.compactMapValues { if case .number(let n) = $0 { return n } else { return nil } }
        }
        return event
    }
}
