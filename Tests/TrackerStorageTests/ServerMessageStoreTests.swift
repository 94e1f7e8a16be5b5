import Foundation
import Testing
import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// Server messages in the reference store and the embedded one.
struct ServerMessageStoreTests {
    @Test func memoryStore() async throws {
        try await ServerMessageConformance.check(MemoryEventStore(), "memory")
    }

    @Test func sqliteStore() async throws {
        let directory = TemporaryDirectory("server-messages")
        defer { directory.remove() }
        try await ServerMessageConformance.check(try SQLiteEventStore(path: directory.file("t.sqlite")), "sqlite")
    }
}
