import Foundation
import Synchronization
import Testing
import TrackerTesting

/// Kills the real binary with SIGKILL in the middle of a burst of acknowledged requests, restarts
/// it on the same data, and checks that every acknowledged event is stored exactly once.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func everyAcknowledgedEventSurvivesKill9ExactlyOnce() async throws {
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        let data = directory.file("data")

        let first = try TrackerProcess.start(data: data)
        let acknowledged = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let clients = (0..<8).map { worker in
            Thread.detachNewThreadWithResult {
                let client = HTTPTestClient(port: first.port)
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    guard let response = try? client.post("/str/v1/", body: #"{"ename":"burst","worker":\#(worker),"n":\#(n)}"#),
                          response.status == 200, let eid = response.json?["eid"] as? String else { continue }
                    acknowledged.withLock { $0.append(eid) }
                }
            }
        }
        // Kill once a good number of requests have been acknowledged and more are in flight.
        for _ in 0..<300 where acknowledged.withLock({ $0.count }) < 400 {
            try await Task.sleep(for: .milliseconds(10))
        }
        first.kill9()
        stop.store(true, ordering: .relaxed)
        for client in clients { await client.value }
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= 100, "too few requests were acknowledged before the kill to prove anything")

        let second = try TrackerProcess.start(data: data)
        defer { second.terminate() }
        let database = (data as NSString).appendingPathComponent("tracker.sqlite")
        let rows = try Shell.run("sqlite3", [database, "SELECT eid FROM events WHERE ename = 'burst'"])
            .split(separator: "\n").map(String.init)
        let stored = Set(rows)
        #expect(rows.count == stored.count, "an event was stored twice")
        let missing = acked.filter { !stored.contains($0) }
        print("crash test: \(acked.count) acknowledged before SIGKILL, \(rows.count) stored, \(missing.count) lost")
        #expect(missing.isEmpty, "\(missing.count) of \(acked.count) acknowledged events were lost")
        #expect(Set(acked).count == acked.count)
        #expect(try Shell.run("sqlite3", [database, "PRAGMA integrity_check"]).trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        #expect(try HTTPTestClient(port: second.port).get("/health").status == 200)
    }
}

extension Thread {
    /// Runs blocking work on its own thread and lets async code await it.
    static func detachNewThreadWithResult(_ work: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        Task.detached {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    work()
                    continuation.resume()
                }
            }
        }
    }
}

@Suite(.serialized) struct GracefulShutdownTests {
    /// SIGTERM during a burst: the process stops accepting, answers or refuses what is in flight,
    /// commits everything it acknowledged, brings the rollups up to date and exits 0.
    @Test func sigtermDrainsFlushesAndExitsCleanly() async throws {
        let directory = TemporaryDirectory("sigterm")
        defer { directory.remove() }
        let data = directory.file("data")
        let server = try TrackerProcess.start(data: data)
        let acknowledged = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let clients = (0..<4).map { worker in
            Thread.detachNewThreadWithResult {
                let client = HTTPTestClient(port: server.port)
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    guard let response = try? client.post("/str/v1/", body: #"{"ename":"drain","worker":\#(worker),"n":\#(n)}"#),
                          response.status == 200, let eid = response.json?["eid"] as? String else { continue }
                    acknowledged.withLock { $0.append(eid) }
                }
            }
        }
        for _ in 0..<300 where acknowledged.withLock({ $0.count }) < 200 {
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        stop.store(true, ordering: .relaxed)
        for client in clients { await client.value }
        #expect(server.process.terminationStatus == 0)
        let database = (data as NSString).appendingPathComponent("tracker.sqlite")
        let stored = Set(try Shell.run("sqlite3", [database, "SELECT eid FROM events WHERE ename = 'drain'"]).split(separator: "\n").map(String.init))
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= 100)
        #expect(acked.allSatisfy { stored.contains($0) })
        let rolled = try Shell.run("sqlite3", [database, "SELECT sum(events) FROM daily_events WHERE ename = 'drain'"])
        #expect(Int(rolled.trimmingCharacters(in: .whitespacesAndNewlines)) == stored.count)
    }
}
