import Foundation
import TrackerCore

/// An event as one compact JSON object, for the spool: every field, round-tripping exactly.
public enum EventCodec {
    public static func encode(_ event: Event) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "eid": .string(event.eid),
            "t": .number(Double(Timestamp.milliseconds(event.created))),
        ]
        if event.isServer { fields["server"] = .bool(true) }
        for (field, value) in event.text { fields[field.rawValue] = .string(value) }
        for (field, value) in event.numbers { fields["#" + field.rawValue] = .number(value) }
        if !event.params.isEmpty { fields["params"] = .object(event.params.dictionary.mapValues { .string($0) }) }
        if !event.nparams.isEmpty { fields["nparams"] = .object(event.nparams.dictionary.mapValues { .number($0) }) }
        return Array(JSONWriter.serialize(.object(fields)).utf8)
    }

    public static func decode(_ bytes: [UInt8]) -> Event? {
        guard case .object(let fields)? = try? JSONParser.parse(bytes), case .string(let eid)? = fields["eid"],
              case .number(let millis)? = fields["t"] else { return nil }
        var event = Event(eid: eid, created: Timestamp.date(milliseconds: Int64(millis)), isServer: fields["server"] == .bool(true))
        for (key, value) in fields {
            if key.hasPrefix("#"), let field = NumericField(rawValue: String(key.dropFirst())), case .number(let n) = value {
                event[field] = n
            } else if let field = EventField(rawValue: key), case .string(let text) = value {
                event[field] = text
            }
        }
        if case .object(let params)? = fields["params"] { event.params = ParamMap(params.compactMapValues(\.text)) }
        if case .object(let nparams)? = fields["nparams"] {
            event.nparams = ParamMap(nparams.compactMapValues { if case .number(let n) = $0 { return n } else { return nil } })
        }
        return event
    }
}
