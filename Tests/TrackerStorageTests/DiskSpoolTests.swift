import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TrackerCore
@testable import TrackerStorage
import TrackerTesting

@Suite struct DiskSpoolTests {
    @Test func eventsRoundTripAcrossSegments() throws {
        let directory = TemporaryDirectory("spool")
        defer { directory.remove() }
        let spool = try DiskSpool(directory: directory.path, segmentBytes: 4096)
        let events = (0..<100).map { EventBuilder.event($0) }
        for start in stride(from: 0, to: 100, by: 10) { try spool.appendBlocking(Array(events[start..<start + 10])) }
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".seg") }
        #expect(segments.count > 1)
        var cursor = SpoolCursor(segment: 0, offset: 0)
        var read: [Event] = []
        while true {
            let (batch, next) = try spool.read(after: cursor, maxEvents: 7)
            if batch.isEmpty { break }
            read += batch
            cursor = next
        }
        #expect(read == events)
        #expect(spool.pendingBytes(after: cursor) == 0)
        spool.release(before: cursor)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".seg") }.count == 1)
    }

    @Test func aTornTailIsCutAtStartAndAppendsGoOn() throws {
        let directory = TemporaryDirectory("spool-torn")
        defer { directory.remove() }
        do {
            let spool = try DiskSpool(directory: directory.path)
            try spool.appendBlocking([EventBuilder.event(1), EventBuilder.event(2)])
        }
        let segment = directory.file(String(format: "%016d.seg", 1))
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x7B]))  // half a record
        handle.closeFile()
        let spool = try DiskSpool(directory: directory.path)
        try spool.appendBlocking([EventBuilder.event(3)])
        let (events, _) = try spool.read(after: SpoolCursor(segment: 0, offset: 0), maxEvents: 10)
        #expect(events.map(\.eid) == [1, 2, 3].map { EventBuilder.event($0).eid })
    }

    @Test func theQuotaRefusesAsFull() throws {
        let directory = TemporaryDirectory("spool-quota")
        defer { directory.remove() }
        let spool = try DiskSpool(directory: directory.path, maxBytes: 4096)
        #expect(throws: StorageError.self) {
            for n in 0..<100 { try spool.appendBlocking([EventBuilder.event(n)]) }
        }
        #expect(spool.pendingBytes(after: SpoolCursor(segment: 0, offset: 0)) <= 4096)
    }

    @Test func theCodecKeepsEveryField() {
        let event = EventBuilder.event(42)
        #expect(EventCodec.decode(EventCodec.encode(event)) == event)
        #expect(EventCodec.decode(EventCodec.encode(EventBuilder.sparse(1))) == EventBuilder.sparse(1))
        #expect(EventCodec.decode(Array("{}".utf8)) == nil)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}

/// A sink that refuses until told otherwise, storing into the reference store.
final class FlakySink: EventSink {
    let store = MemoryEventStore()
    let down = Atomic<Bool>(true)
    let attempts = Atomic<Int>(0)

    func append(_ events: [Event]) async throws(StorageError) {
        attempts.wrappingAdd(1, ordering: .relaxed)
        if down.load(ordering: .relaxed) { throw .unavailable("the test sink is down") }
        try await store.append(events)
    }
}

@Suite struct SpoolDeliveryTests {
    @Test func eventsWaitInTheSpoolWhileTheSinkIsDownThenArriveOnce() async throws {
        let directory = TemporaryDirectory("delivery")
        defer { directory.remove() }
        let spool = try DiskSpool(directory: directory.path)
        let sink = FlakySink()
        try spool.appendBlocking((0..<50).map { EventBuilder.event($0) })
        let delivery = SpoolDelivery(spool: spool, sink: sink, name: "test", batchSize: 20, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [delivery], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        for _ in 0..<100 where sink.attempts.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(delivery.status.failing)
        #expect(delivery.status.pendingBytes > 0)
        sink.down.store(false, ordering: .relaxed)
        try spool.appendBlocking((50..<60).map { EventBuilder.event($0) })
        for _ in 0..<300 where try await sink.store.count(EventQuery()) < 60 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await sink.store.count(EventQuery()) == 60)
        #expect(!delivery.status.failing)
        #expect(delivery.status.pendingBytes == 0)
        await group.triggerGracefulShutdown()
        try await running.value

        // A new delivery starts from the saved cursor: nothing is sent again.
        let again = FlakySink()
        again.down.store(false, ordering: .relaxed)
        let resumed = SpoolDelivery(spool: spool, sink: again, name: "test", logger: Logger(label: "test"))
        var cursor = resumed.loadCursor()
        #expect(try await resumed.deliverOnce(&cursor) == 0)
        #expect(try await again.store.count(EventQuery()) == 0)
    }
}
