import Foundation

/// The `tracker` executable as a child process, for tests that must kill it for real.
public final class TrackerProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    let log: TemporaryDirectory

    /// The binary built next to the test bundle, or `TRACKER_BINARY`.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["TRACKER_BINARY"] { return path }
        var url = URL(fileURLWithPath: CommandLine.arguments[0])
        while url.path != "/" {
            let candidate = url.deletingLastPathComponent().appendingPathComponent("tracker")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            url = url.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/debug/tracker").standardized.path
    }

    /// Starts it on a free port and waits (30 s at most) for the line naming that port. `through`:
    /// a command that runs it (`prlimit` with its options...).
    public static func start(data: String, arguments: [String] = [], through wrapper: [String] = []) throws -> TrackerProcess {
        let log = TemporaryDirectory("tracker-log")
        let logFile = log.file("stderr")
        let command = wrapper + [binary, "serve", "--listen", "127.0.0.1:0", "--data", data] + arguments
        let process = try ChildProcess(command[0], Array(command.dropFirst()), stderr: logFile)
        let deadline = Date().addingTimeInterval(30)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return TrackerProcess(process: process, port: Int(text[range].split(separator: ":").last!)!, log: log)
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.signal(SIGKILL)
        process.wait()
        log.remove()
        throw Shell.Failure(description: "tracker did not start: \(text)")
    }

    init(process: ChildProcess, port: Int, log: TemporaryDirectory) {
        self.process = process
        self.port = port
        self.log = log
    }

    public var pid: Int32 { process.pid }

    public func kill9() {
        process.signal(SIGKILL)
        process.wait()
    }

    /// SIGTERM, then its exit code once it ended.
    @discardableResult
    public func terminate() -> Int32 {
        if process.isRunning { process.signal(SIGTERM) }
        let code = process.wait()
        log.remove()
        return code
    }
}
