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
        for (field, value) in event.numbers { bind(field, value, at: offset + numberParameter(field), to: statement) }
        if !event.params.isEmpty { text.add(offset + paramsParameter) { JSONWriter.write(event.params, into: &$0) } }
        if !event.nparams.isEmpty { text.add(offset + paramsParameter + 1) { JSONWriter.write(event.nparams, into: &$0) } }
    }

    /// Binds an event to an insert of its own shape's columns (`EventShape.columns`): its values
    /// in the same order, one parameter after the other.
    static func bindShaped(_ event: Event, to statement: SQLiteStatement, text: BoundText, offset: Int32) {
        var parameter = offset
        func next() -> Int32 {
            parameter += 1
            return parameter
        }
        text.add(next(), event.eid)
        text.add(next(), event.created)
        statement.bind(next(), Int64(event.isServer ? 1 : 0))
        for (_, value) in event.text { text.add(next(), value) }
        for (field, value) in event.numbers { bind(field, value, at: next(), to: statement) }
        if !event.params.isEmpty { text.add(next()) { JSONWriter.write(event.params, into: &$0) } }
        if !event.nparams.isEmpty { text.add(next()) { JSONWriter.write(event.nparams, into: &$0) } }
    }

    static func bind(_ field: NumericField, _ value: Double, at parameter: Int32, to statement: SQLiteStatement) {
        if field.isInteger {
            statement.bind(parameter, Int64(exactly: value.rounded(.towardZero)) ?? 0)
        } else {
            statement.bind(parameter, value)
        }
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
            event.params = ParamMap(map.compactMapValues(\.text))
        }
        if let text = statement.text(next()), case .object(let map)? = try? JSONParser.parse(text) {
            event.nparams = ParamMap(map.compactMapValues { if case .number(let n) = $0 { return n } else { return nil } })
        }
        return event
    }
}

/// Which columns an event has values for. An insert listing only those is prepared per shape
/// (`WriterStatements`): with all sixty columns, each row of a pixel paid for forty-odd NULL
/// parameters, copied, given their affinity and written into the record one by one.
struct EventShape: Hashable {
    let text: UInt64
    let numbers: UInt64
    let params: Bool
    let nparams: Bool

    init(_ event: Event) {
        text = event.text.presence
        numbers = event.numbers.presence
        params = !event.params.isEmpty
        nparams = !event.nparams.isEmpty
    }

    /// In the order `EventRowMapping.bindShaped` binds them.
    var columns: [String] {
        ["eid", "created", "server"]
            + EventField.allCases.filter { text & (1 << UInt64($0.tag)) != 0 }.map(\.rawValue)
            + NumericField.allCases.filter { numbers & (1 << UInt64($0.tag)) != 0 }.map(\.rawValue)
            + (params ? ["params"] : []) + (nparams ? ["nparams"] : [])
    }
}
