import Foundation
import Testing
import TrackerNATS
import TrackerStorage

/// Upstream §7's message formats.
struct ServerMessageParserTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func parse(_ subject: String, _ json: String) -> ServerMessageParser.Parsed? {
        ServerMessageParser.parse(subject: subject, payload: Array(json.utf8), now: now, newID: { "log-1" })
    }

    @Test func countersDefaultToTheSubject() {
        #expect(Self.parse("tic.count.signup", "{}") == .count(id: "tic.count.signup"))
        #expect(Self.parse("tic.count.signup", "") == .count(id: "tic.count.signup"))
        #expect(Self.parse("tic.count.x", #"{"id":"signup"}"#) == .count(id: "signup"))
    }

    @Test func updatesTakeTheirTimeInMilliseconds() {
        #expect(Self.parse("tic.update.deploy", #"{"msg":"deployed v2","updated":"1597968000000"}"#)
                == .update(ServerUpdate(id: "tic.update.deploy", updated: Date(timeIntervalSince1970: 1_597_968_000), msg: "deployed v2")))
        #expect(Self.parse("tic.update.deploy", #"{"id":"api","msg":"v3"}"#) == .update(ServerUpdate(id: "api", updated: Self.now, msg: "v3")))
    }

    @Test func logsKeepEveryField() {
        let json = #"{"topic":"api","name":"svc","host":"h","hostname":"h1","level":3,"msg":"boom","ip":"1.2.3.4","ldate":"2020-08-20","ltimenss":"123456789","params":"{\"k\":\"v\"}","owner":"0a8c8e0e-0b7e-4b7e-9d5b-2b0a0a0a0a0a"}"#
        guard case .log(let log)? = Self.parse("tic.log.api", json) else { Issue.record("not a log"); return }
        #expect(log.id == "log-1" && log.created == Self.now)
        #expect(log.topic == "api" && log.name == "svc" && log.host == "h" && log.hostname == "h1" && log.level == 3)
        #expect(log.msg == "boom" && log.ip == "1.2.3.4" && log.ldate == "2020-08-20" && log.ltime == 123_456_789)
        #expect(log.params == #"{"k":"v"}"# && log.owner == "0a8c8e0e-0b7e-4b7e-9d5b-2b0a0a0a0a0a")
        guard case .log(let objectParams)? = Self.parse("tic.log.api", #"{"params":{"k":1}}"#) else { Issue.record("not a log"); return }
        #expect(objectParams.params == #"{"k":1}"#)
    }

    @Test func malformedMessagesAreNil() {
        #expect(Self.parse("tic.count.x", "not json") == nil)
        #expect(Self.parse("tic.count.x", "[1,2]") == nil)
        #expect(Self.parse("tic.other.x", "{}") == nil)
    }
}
