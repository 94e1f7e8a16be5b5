import Foundation
import Testing
import TrackerStorage

/// What every store that keeps server messages must do: counters add up across batches,
/// updates keep the latest per id, logs come back with every field.
public enum ServerMessageConformance {
    public static func check(_ store: any ServerMessageStore, _ name: String) async throws {
        var first = ServerMessageBatch()
        first.increments = ["signup": 2, "login": 1]
        first.updates = [ServerUpdate(id: "deploy", updated: Date(timeIntervalSince1970: 1000), msg: "v1")]
        var log = ServerLog(id: "l1", created: Date(timeIntervalSince1970: 2000))
        log.topic = "api"
        log.name = "svc"
        log.host = "h"
        log.hostname = "h1"
        log.owner = "o"
        log.ip = "1.2.3.4"
        log.ldate = "2020-08-20"
        log.level = 3
        log.msg = "boom"
        log.params = #"{"k":"v"}"#
        log.ltime = 123
        first.logs = [log]
        try await store.record(first)
        var second = ServerMessageBatch()
        second.increments = ["signup": 3]
        second.updates = [ServerUpdate(id: "deploy", updated: Date(timeIntervalSince1970: 3000), msg: "v2")]
        try await store.record(second)
        try await store.record(ServerMessageBatch())
        #expect(try await store.counters() == ["signup": 5, "login": 1], "\(name)")
        #expect(try await store.updates() == [ServerUpdate(id: "deploy", updated: Date(timeIntervalSince1970: 3000), msg: "v2")], "\(name)")
        #expect(try await store.logs(limit: 10) == [log], "\(name)")
    }
}
