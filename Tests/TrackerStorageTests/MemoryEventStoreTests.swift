import Testing
import TrackerStorage
import TrackerTesting

@Suite struct MemoryEventStoreTests {
    @Test(arguments: EventStoreConformance.names)
    func conformance(_ check: String) async throws {
        try await EventStoreConformance.checks[check]!(MemoryEventStore())
    }
}
