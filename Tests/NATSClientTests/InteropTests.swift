import Foundation
import Testing
import NATSClient
import TrackerTesting

/// Our client and nats-py, the reference Python client, talking through one server.
@Suite(.enabled(if: NATSServerProcess.isAvailable && NATSTesting.pythonClient, "needs nats-server and nats-py (pip install nats-py)"))
struct InteropTests {    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("interop.py").path

    @Test func messagesHeadersAndRequestsBothWays() async throws {
        let server = try NATSServerProcess()
        try await server.start()
        let nats = try await NATSConnection.connect(NATSOptions(servers: [server.url]))
        let fromPython = try nats.subscribe("interop.from.python")
        let service = try nats.subscribe("interop.svc")
        let responder = Task {
            for await request in service { try nats.publish(request.replyTo!, payload: Array("pong:".utf8) + request.payload) }
        }
        try await nats.flush()

        let output = server.directory.file("python.out")
        let python = try ChildProcess("/usr/bin/env", ["python3", Self.script, server.url, "5"], stdout: output,
                                      stderr: server.directory.file("python.err"))
        for _ in 0..<200 where !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("ready") {
            try await Task.sleep(for: .milliseconds(50))
        }
        for i in 0..<5 {
            try nats.publish("interop.from.swift", payload: Array("swift-\(i)".utf8), headers: NATSHeaders([("X-Site", "s\(i)")]))
        }
        try await nats.flush()
        var got: [String] = []
        for _ in 0..<3 {
            guard let message = try await NATSTesting.next(fromPython) else { break }
            got.append("\(message.text)/\(message.headers?["X-From"] ?? "")")
        }
        #expect(got == ["py-0/python", "py-1/python", "py-2/python"])
        #expect(try await OwnThread.run { python.wait() } == 0)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        let received = try #require(summary["received"] as? [[String: String]])
        #expect(received.map { $0["data"]! } == (0..<5).map { "swift-\($0)" })
        #expect(received.map { $0["site"]! } == (0..<5).map { "s\($0)" })
        #expect(summary["reply"] as? String == "pong:ping")
        responder.cancel()
        await nats.close()
    }
}
