import Foundation
import Testing
import TrackerTesting

/// The real binary, killed or stopped in the middle of a burst of acknowledged requests.
@Suite(.serialized) struct CrashRecoveryTests {
    func storedEvents(_ data: String, ename: String) throws -> [String] {
        let database = (data as NSString).appendingPathComponent("tracker.sqlite")
        return try Shell.run("sqlite3", [database, "SELECT eid FROM events WHERE ename = '\(ename)'"])
            .split(separator: "\n").map(String.init)
    }

    /// SIGKILL, restart on the same data: every acknowledged event is stored exactly once.
    @Test func everyAcknowledgedEventSurvivesKill9ExactlyOnce() async throws {
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        let data = directory.file("data")
        let first = try TrackerProcess.start(data: data)
        let burst = RequestBurst(port: first.port, ename: "burst")
        try await burst.waitFor(400)
        first.kill9()
        let acked = try await burst.stop()
        #expect(acked.count >= 100, "too few requests were acknowledged before the kill to prove anything")

        let second = try TrackerProcess.start(data: data)
        defer { second.terminate() }
        let rows = try storedEvents(data, ename: "burst")
        let stored = Set(rows)
        let missing = acked.filter { !stored.contains($0) }
        print("crash test: \(acked.count) acknowledged before SIGKILL, \(rows.count) stored, \(missing.count) lost")
        #expect(rows.count == stored.count, "an event was stored twice")
        #expect(missing.isEmpty, "\(missing.count) of \(acked.count) acknowledged events were lost")
        #expect(Set(acked).count == acked.count)
        let database = (data as NSString).appendingPathComponent("tracker.sqlite")
        #expect(try Shell.run("sqlite3", [database, "PRAGMA integrity_check"]).trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        #expect(try HTTPTestClient(port: second.port).get("/health").status == 200)
        // The rollups, written after their events, count every stored event once after the restart.
        let rolled = try Shell.run("sqlite3", [database, "SELECT sum(events) FROM daily_events WHERE ename = 'burst'"])
        #expect(Int(rolled.trimmingCharacters(in: .whitespacesAndNewlines)) == rows.count)
    }

    /// SIGTERM: the process stops accepting, answers or refuses what is in flight, commits
    /// everything it acknowledged, brings the rollups up to date and exits 0.
    @Test func sigtermDrainsFlushesAndExitsCleanly() async throws {
        let directory = TemporaryDirectory("sigterm")
        defer { directory.remove() }
        let data = directory.file("data")
        let server = try TrackerProcess.start(data: data)
        let burst = RequestBurst(port: server.port, clients: 4, ename: "drain")
        try await burst.waitFor(200)
        server.process.signal(SIGTERM)
        let code = server.process.wait()
        let acked = try await burst.stop()
        #expect(code == 0)
        let stored = Set(try storedEvents(data, ename: "drain"))
        #expect(acked.count >= 100)
        #expect(acked.allSatisfy { stored.contains($0) })
        let database = (data as NSString).appendingPathComponent("tracker.sqlite")
        let rolled = try Shell.run("sqlite3", [database, "SELECT sum(events) FROM daily_events WHERE ename = 'drain'"])
        #expect(Int(rolled.trimmingCharacters(in: .whitespacesAndNewlines)) == stored.count)
    }

    /// `tracker export` on the data of a stopped server: every event once, by site and time.
    @Test func exportWritesTheStoredEventsAsNDJSONAndCSV() async throws {
        let directory = TemporaryDirectory("export")
        defer { directory.remove() }
        let data = directory.file("data")
        let server = try TrackerProcess.start(data: data)
        let client = HTTPTestClient(port: server.port)
        for n in 0..<5 { _ = try client.get("/tr/v1/?ename=e\(n)", headers: ["Host": "shop.example.com"]) }
        _ = try client.get("/tr/v1/?ename=other", headers: ["Host": "blog.example.org"])
        server.terminate()
        let ndjson = try Shell.run(TrackerProcess.binary, ["export", "--data", data, "--site", "shop.example.com", "--since", "1h"])
        let names = try ndjson.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["ename"] as? String
        }
        #expect(names == ["e0", "e1", "e2", "e3", "e4"])
        let csv = try Shell.run(TrackerProcess.binary, ["export", "--data", data, "--format", "csv"])
        #expect(csv.split(separator: "\r\n").count == 7)  // a header and six events
        let future = try Shell.run(TrackerProcess.binary, ["export", "--data", data, "--since", "2999-01-01"])
        #expect(future.isEmpty)
    }
}
