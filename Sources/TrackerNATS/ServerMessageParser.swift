import Foundation
import TrackerCore
import TrackerStorage

/// `tic.*` messages as upstream §7 defines them: a JSON object each; the subject's second token
/// says what it is. Anything else is malformed (counted, never fatal).
public enum ServerMessageParser {
    public enum Parsed: Equatable, Sendable {
        case count(id: String)
        case update(ServerUpdate)
        case log(ServerLog)
    }

    public static let subjects = ["tic.log.>", "tic.count.>", "tic.update.>"]

    public static func parse(subject: String, payload: [UInt8], now: Date, newID: () -> String) -> Parsed? {
        let kind = subject.split(separator: ".").dropFirst().first
        let fields: [String: JSONValue]
        if payload.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) {
            fields = [:]   // `tic.count.signup` with an empty body counts too
        } else {
            guard case .object(let object)? = try? JSONParser.parse(payload) else { return nil }
            fields = object
        }
        let id = fields["id"]?.text.flatMap { $0.isEmpty ? nil : $0 } ?? subject
        switch kind {
        case "count":
            return .count(id: id)
        case "update":
            // `updated`: epoch milliseconds, as a number or text; now when absent.
            let updated = fields["updated"]?.number.map { Date(timeIntervalSince1970: $0 / 1000) } ?? now
            return .update(ServerUpdate(id: id, updated: updated, msg: fields["msg"]?.text))
        case "log":
            var log = ServerLog(id: newID(), created: now)
            log.ldate = fields["ldate"]?.text
            log.ltime = fields["ltimenss"]?.number.map { Int64($0) } ?? fields["ltime"]?.number.map { Int64($0) }
            log.topic = fields["topic"]?.text
            log.name = fields["name"]?.text
            log.host = fields["host"]?.text
            log.hostname = fields["hostname"]?.text
            log.owner = fields["owner"]?.text
            log.ip = fields["ip"]?.text
            log.level = fields["level"]?.number.map { Int($0) }
            log.msg = fields["msg"]?.text
            // Upstream sent params as JSON text; an object is kept as compact JSON too.
            log.params = fields["params"]?.text
            return .log(log)
        default:
            return nil
        }
    }
}
