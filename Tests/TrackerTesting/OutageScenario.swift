import Foundation
import Testing
import TrackerStorage

/// A tracker node fed by four clients while the server of its store is killed, then started
/// again on its data two seconds later: tracking must keep answering, `/status` must show the
/// sink failing with its lag, `/health` must stay 200, and afterwards every acknowledged event
/// must be stored exactly once. Shared by the ClickHouse and PostgreSQL outage tests.
public enum OutageScenario {
    public static func run(_ server: RunningServer, kill: () -> Void, restart: () async throws -> Void,
                           reader: any EventReader) async throws {
        let burst = RequestBurst(port: server.port, clients: 4, ename: "outage")
        var atStop = 0
        do {
            try await burst.waitFor(200)
            kill()
            atStop = burst.count
            try await burst.waitFor(atStop + 300)
            // The stores' operations time out after 5 to 10 s: up to 30 s under load.
            var failing = false
            for _ in 0..<600 where !failing {
                let sinks = try server.client.get("/status").json?["sinks"] as? [[String: Any]]
                failing = sinks?.first?["state"] as? String == "failing" && (sinks?.first?["lag_bytes"] as? Int ?? 0) > 0
                if !failing { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(failing)
            #expect(try server.client.get("/health").status == 200)
            try await Task.sleep(for: .seconds(2))
            try await restart()
        } catch {
            // The clients must not outlive a failed test (they would keep a core busy).
            _ = try? await burst.stop()
            throw error
        }
        let acknowledged = try await burst.stop()
        #expect(acknowledged.count > atStop + 100)
        var stored: [String] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            stored = ((try? await reader.events(EventQuery(limit: 1_000_000))) ?? []).map(\.eid)
            if stored.count >= acknowledged.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Set(stored).count == stored.count)
        #expect(Set(acknowledged).isSubset(of: Set(stored)))
    }
}
