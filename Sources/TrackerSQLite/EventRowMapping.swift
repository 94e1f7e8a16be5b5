import Foundation
import TrackerCore

/// How an `Event` maps to a row of `events`: the column list is derived from the field enums, so
/// adding a field to `EventField` and a column in a migration is all it takes.
enum EventRowMapping {
    static let columns: [String] = ["eid", "created", "server"]
        + EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue)
        + ["params", "nparams"]

    static let insertSQL = "INSERT OR IGNORE INTO events (\(columns.joined(separator: ", "))) VALUES ("
        + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"

    static let selectList = columns.joined(separator: ", ")

    static func bind(_ event: Event, to statement: SQLiteStatement) {
        var index: Int32 = 1
        func next() -> Int32 { defer { index += 1 }; return index }
        statement.bind(next(), event.eid)
        statement.bind(next(), Timestamp.format(event.created))
        statement.bind(next(), Int64(event.isServer ? 1 : 0))
        for field in EventField.allCases { statement.bind(next(), event[field]) }
        for field in NumericField.allCases {
            let value = event[field]
            if field.isInteger {
                statement.bind(next(), value.map { Int64(exactly: $0.rounded(.towardZero)) ?? 0 })
            } else {
                statement.bind(next(), value)
            }
        }
        statement.bind(next(), event.params.isEmpty ? nil : JSONWriter.serialize(event.params))
        statement.bind(next(), event.nparams.isEmpty ? nil : JSONWriter.serialize(event.nparams))
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
