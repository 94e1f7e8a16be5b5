import Foundation
import SQLite3
import Testing
import TrackerCore
@testable import TrackerSQLite
import TrackerStorage
import TrackerTesting

/// A small file system of its own (tmpfs), mounted for the test: needs root (CI runs as root).
struct SmallFileSystem {
    static let skipMessage = "needs root to mount a 1 MiB tmpfs (the disk-full tests)"
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TemporaryDirectory("tmpfs-probe")
        defer { probe.remove() }
        guard (try? Shell.run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path])) != nil else { return false }
        _ = try? Shell.run("umount", [probe.path])
        return true
    }()

    let directory: TemporaryDirectory

    init(bytes: Int) throws {
        directory = TemporaryDirectory("tmpfs")
        _ = try Shell.run("mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", directory.path])
    }

    func remove() {
        _ = try? Shell.run("umount", [directory.path])
        directory.remove()
    }
}

@Suite(.serialized, .enabled(if: SmallFileSystem.available, Comment(rawValue: SmallFileSystem.skipMessage)))
struct SQLiteDiskFullTests {
    /// The disk fills while events keep coming: every batch either lands whole or fails as
    /// `.full`, whatever was acknowledged stays readable and intact, and once space is freed
    /// the same store takes batches again. The log's frames are written through the coalescing
    /// VFS, so this is also the test that its write errors reach SQLite.
    @Test func aFullDiskFailsBatchesWholeAndTheStoreRecovers() async throws {
        let disk = try SmallFileSystem(bytes: 1 << 20)
        defer { disk.remove() }
        let filler = disk.directory.file("filler")
        try Data(count: 256 * 1024).write(to: URL(fileURLWithPath: filler))
        let path = disk.directory.file("tracker.sqlite")
        let store = try SQLiteEventStore(path: path)
        var acknowledged = 0
        var failures: [StorageError] = []
        for batch in 0..<200 where failures.count < 3 {
            let events = (0..<20).map { n in
                var event = EventBuilder.event(batch * 100 + n)
                event.params["padding"] = String(repeating: "x", count: 500)
                return event
            }
            do {
                try await store.append(events)
                acknowledged += events.count
            } catch {
                failures.append(error)
            }
        }
        #expect(failures.count == 3, "the disk never filled")
        #expect(failures.allSatisfy { if case .full = $0 { true } else { false } }, "\(failures)")
        #expect(acknowledged > 0)
        #expect(try await store.count(EventQuery()) == acknowledged, "every acknowledged event, and only those")
        try FileManager.default.removeItem(atPath: filler)
        try await store.append([EventBuilder.event(99_999)])
        #expect(try await store.count(EventQuery()) == acknowledged + 1)
        #expect(try SQLiteEventStoreTests().query(path, "PRAGMA integrity_check") == ["ok"])
    }
}
