import Foundation
import Testing
import TrackerTesting

/// The real binary streams large bodies through its proxy without holding them: its peak
/// resident memory barely moves while 128 MiB go each way (bench/proxy.sh does 1 GiB in release).
@Suite(.serialized) struct ProxyMemoryTests {
    static func peakRSSKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func largeBodiesStreamInFlatMemory() async throws {
        let backend = try await BackendServer.start(name: "big")
        let directory = TemporaryDirectory("proxy-memory")
        defer { directory.remove() }
        let config = directory.file("config.json")
        try """
        {"Routes": [{"Name": "big", "PathPrefix": "/", "Upstreams": ["\(backend.url)"]}]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let tracker = try TrackerProcess.start(data: directory.file("data"), arguments: ["--config", config])
        defer { tracker.terminate() }
        let pid = tracker.pid
        let size = 128 << 20
        // Warm up: one small exchange each way, so pools and buffers exist before the baseline.
        _ = try Shell.run("curl", ["-sf", "-o", "/dev/null", "http://127.0.0.1:\(tracker.port)/bytes/100000"])
        let before = try Self.peakRSSKiB(pid)
        let down = try Shell.run("curl", ["-sf", "-o", "/dev/null", "-w", "%{size_download}", "http://127.0.0.1:\(tracker.port)/bytes/\(size)"])
        #expect(down == String(size))
        let up = try Shell.run("bash", ["-c", "head -c \(size) /dev/zero | curl -sf -T - http://127.0.0.1:\(tracker.port)/echo"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(up.utf8)) as? [String: Any])
        #expect(json["bodyBytes"] as? Int == size)
        let growth = try Self.peakRSSKiB(pid) - before
        #expect(growth < 32 << 10, "peak RSS grew by \(growth) KiB while 256 MiB passed")
        try await backend.stop()
    }
}
