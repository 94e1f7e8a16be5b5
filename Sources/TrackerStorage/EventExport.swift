import Foundation
import TrackerCore

/// Events as lines for other tools: NDJSON (one object per event, for Elasticsearch bulk loads,
/// Spark's `read.json`, pandas' `read_json(lines=True)`) or CSV with a header (RFC 4180 quoting,
/// `params`/`nparams` as JSON text in one column each). Same column names as the stores.
public enum EventExport {
    public enum Format: String, Sendable, CaseIterable { case ndjson, csv }

    public static let columns: [String] = ["eid", "created", "server"] + EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue) + ["params", "nparams"]

    public static func header(_ format: Format) -> String? {
        format == .csv ? columns.joined(separator: ",") + "\r\n" : nil
    }

    public static func line(_ event: Event, _ format: Format) -> String {
        switch format {
        case .ndjson: return json(event) + "\n"
        case .csv: return csv(event) + "\r\n"
        }
    }

    /// One event as a JSON object with the documented column names (`tracker export`, NATS).
    public static func json(_ event: Event) -> String {
        String(decoding: jsonBytes(event), as: UTF8.self)
    }

    /// The event's JSON object as bytes, built without intermediate strings: what NATS
    /// publishing sends, and what `json` decodes.
    public static func jsonBytes(_ event: Event) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        out += Array("{\"eid\":".utf8)
        JSONWriter.quote(event.eid, into: &out)
        out += Array(",\"created\":\"".utf8)
        out += Array(Timestamp.format(event.created).utf8)
        out += Array(event.isServer ? "\",\"server\":true".utf8 : "\",\"server\":false".utf8)
        for field in EventField.allCases {
            guard let value = event[field] else { continue }
            out += fieldKeys[field.rawValue]!
            JSONWriter.quote(value, into: &out)
        }
        for field in NumericField.allCases {
            guard let value = event[field], value.isFinite else { continue }
            out += fieldKeys[field.rawValue]!
            out += Array(JSONValue.format(value).utf8)
        }
        if !event.params.isEmpty { out += Array((",\"params\":" + JSONWriter.serialize(event.params)).utf8) }
        if !event.nparams.isEmpty { out += Array((",\"nparams\":" + JSONWriter.serialize(event.nparams)).utf8) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// An event back from its JSON object (what NATS carries between ingest and writer nodes);
    /// nil when it is not one.
    public static func event(fromJSON bytes: [UInt8]) -> Event? {
        guard case .object(let fields)? = try? JSONParser.parse(bytes), case .string(let eid)? = fields["eid"],
              case .string(let created)? = fields["created"], let date = Timestamp.parse(created) else { return nil }
        var event = Event(eid: eid, created: date, isServer: fields["server"] == .bool(true))
        for field in EventField.allCases {
            if case .string(let value)? = fields[field.rawValue] { event[field] = value }
        }
        for field in NumericField.allCases {
            if case .number(let value)? = fields[field.rawValue] { event[field] = value }
        }
        if case .object(let params)? = fields["params"] { event.params = ParamMap(params.compactMapValues(\.text)) }
        if case .object(let nparams)? = fields["nparams"] {
            event.nparams = ParamMap(nparams.compactMapValues { if case .number(let n) = $0 { return n } else { return nil } })
        }
        return event
    }

    /// `,"name":` for every column, made once.
    static let fieldKeys: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: (EventField.allCases.map(\.rawValue)
        + NumericField.allCases.map(\.rawValue)).map { ($0, Array(",\"\($0)\":".utf8)) })

    static func csv(_ event: Event) -> String {
        var cells = [event.eid, Timestamp.format(event.created), event.isServer ? "true" : "false"]
        cells += EventField.allCases.map { event[$0] ?? "" }
        cells += NumericField.allCases.map { event[$0].map(JSONValue.format) ?? "" }
        cells.append(event.params.isEmpty ? "" : JSONWriter.serialize(event.params))
        cells.append(event.nparams.isEmpty ? "" : JSONWriter.serialize(event.nparams))
        return cells.map(quoted).joined(separator: ",")
    }

    static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Every event of the query, page by page in time order, each once: a page starts at the last
    /// time of the one before, and the events already given at that time are skipped.
    public static func pages(_ reader: any EventReader, _ query: EventQuery, pageSize: Int = 10_000,
                             _ body: ([Event]) async throws -> Void) async throws {
        var from = query.from
        var seenAtFrom: Set<String> = []
        var size = pageSize
        while true {
            let page = try await reader.events(EventQuery(site: query.site, from: from, to: query.to, limit: size))
            let fresh = page.filter { !($0.created == from && seenAtFrom.contains($0.eid)) }
            if !fresh.isEmpty { try await body(fresh) }
            guard page.count == size, let last = page.last?.created else { return }
            if last == from {
                // A whole page within one millisecond: read more of it at once.
                size *= 2
            } else {
                seenAtFrom = []
                from = last
            }
            seenAtFrom.formUnion(page.filter { $0.created == last }.map(\.eid))
        }
    }
}
