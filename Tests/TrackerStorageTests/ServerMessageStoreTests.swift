import Foundation
import Testing
import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// The same behaviour from every store that keeps server messages.
struct ServerMessageStoreTests {
    static func stores() throws -> [(String, any ServerMessageStore, TemporaryDirectory?)] {
        let directory = TemporaryDirectory("server-messages")
        return [("memory", MemoryEventStore(), nil),
                ("sqlite", try SQLiteEventStore(path: directory.file("t.sqlite")), directory)]
    }

    @Test func countersAddUpdatesReplaceLogsAppend() async throws {
        for (name, store, directory) in try Self.stores() {
            defer { directory?.remove() }
            var first = ServerMessageBatch()
            first.increments = ["signup": 2, "login": 1]
            first.updates = [ServerUpdate(id: "deploy", updated: Date(timeIntervalSince1970: 1000), msg: "v1")]
            var log = ServerLog(id: "l1", created: Date(timeIntervalSince1970: 2000))
            log.topic = "api"
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
            #expect(try await store.counters() == ["signup": 5, "login": 1], "\(name)")
            #expect(try await store.updates() == [ServerUpdate(id: "deploy", updated: Date(timeIntervalSince1970: 3000), msg: "v2")], "\(name)")
            #expect(try await store.logs(limit: 10) == [log], "\(name)")
        }
    }
}
