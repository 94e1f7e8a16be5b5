import Foundation
import Testing
import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// Links, keys and accounts in the reference store and the embedded one.
struct LinkStoreTests {
    @Test func memoryStore() async throws {
        try await LinkStoreConformance.check(MemoryEventStore(), "memory")
    }

    @Test func sqliteStore() async throws {
        let directory = TemporaryDirectory("links")
        defer { directory.remove() }
        try await LinkStoreConformance.check(try SQLiteEventStore(path: directory.file("t.sqlite")), "sqlite")
    }
}
