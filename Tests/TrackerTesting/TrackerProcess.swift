import Foundation

/// The `tracker` executable as a child process, for tests that must kill it for real.
public final class TrackerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int

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

    public static func start(data: String, arguments: [String] = []) throws -> TrackerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data", data] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = errors.fileHandleForReading
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(log[range].split(separator: ":").last!)!
                // Keep draining its log so the child never blocks on a full pipe.
                handle.readabilityHandler = { _ = $0.availableData }
                return TrackerProcess(process: process, port: port)
            }
        }
        process.terminate()
        throw Shell.Failure(description: "tracker did not start: \(log)")
    }

    init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
