import Foundation
import Logging
import Testing
import TrackerConfig
import TrackerServer
import TrackerTesting

/// Starting on a port another process holds fails with the bind error, and the whole server then
/// stops: nothing waits forever for a port that never comes (a CI run once hung there), and the
/// process exits with the error instead of hanging with its other services still up.
@Suite struct StartupTests {
    /// A port held by a listening socket of this process, for as long as `body` runs.
    func withTakenPort<T>(_ body: (Int) async throws -> T) async throws -> T {
        let port = try FreePort.next()
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(holder, 1) == 0)
        return try await body(port)
    }

    @Test func aTakenPortFailsTheStart() async throws {
        try await withTakenPort { port in
            let error = await #expect(throws: (any Error).self) {
                try await RunningServer.start { $0.listenPort = port }
            }
            #expect("\(error.map { "\($0)" } ?? "")" == "cannot listen on 127.0.0.1:\(port): the address is already in use")
        }
    }

    @Test func theServerStopsWhenAListenerCannotStart() async throws {
        try await withTakenPort { port in
            let directory = TemporaryDirectory("tracker-startup")
            defer { directory.remove() }
            var configuration = TrackerConfiguration()
            configuration.listenHost = "127.0.0.1"
            configuration.listenPort = port
            configuration.dataDirectory = directory.file("data")
            var logger = Logger(label: "tracker-test")
            logger.logLevel = .critical
            let server = try await TrackerServer(configuration: configuration, logger: logger, installSignalHandlers: false)
            // Bounded: a regression must fail this test, not hang the run.
            let outcome = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    do { try await server.run(); return "returned" } catch { return "\(error)" }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(20))
                    return "still running after 20 s"
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            #expect(outcome == "cannot listen on 127.0.0.1:\(port): the address is already in use")
        }
    }

    @Test func theProcessExitsWithTheErrorWhenItsPortIsTaken() async throws {
        try await withTakenPort { port in
            let directory = TemporaryDirectory("tracker-startup")
            defer { directory.remove() }
            let process = try ChildProcess(TrackerProcess.binary, ["serve", "--listen", "127.0.0.1:\(port)", "--data", directory.file("data")],
                                           stderr: directory.file("stderr"))
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let running = process.isRunning
            if running { process.signal(SIGKILL) }
            let code = process.wait()
            let stderr = (try? String(contentsOfFile: directory.file("stderr"), encoding: .utf8)) ?? ""
            #expect(!running && code != 0, "exit \(code): \(stderr)")
            #expect(stderr.contains("cannot listen on 127.0.0.1:\(port): the address is already in use"), "\(stderr)")
        }
    }
}
