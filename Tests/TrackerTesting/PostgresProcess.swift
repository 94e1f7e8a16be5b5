import Foundation

/// A PostgreSQL server of the test's own (Debian's postgresql-15), on a free port, with its data
/// in a temporary directory, so a test can stop it mid-run and start it again on that data.
/// PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.
public final class PostgresProcess: @unchecked Sendable {
    public static let bin = "/usr/lib/postgresql/15/bin"
    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: bin + "/postgres") && getpwnam("postgres") != nil
    }

    public let directory: TemporaryDirectory
    public let port: Int
    var process: Process?

    public init() throws {
        directory = TemporaryDirectory("postgres")
        port = try FreePort.next()
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        chmod(data, 0o700)
        _ = try Shell.run("chown", ["postgres:postgres", data])
        _ = try Shell.run("runuser", ["-u", "postgres", "--", Self.bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust",
                                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    }

    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Starts the server and waits (10 s at most) until it accepts connections.
    public func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", Self.bin + "/postgres",
                             "-D", directory.file("data"), "-c", "listen_addresses=127.0.0.1", "-p", String(port),
                             "-k", directory.file("data"), "-c", "fsync=off"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if FreePort.isOpen(port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Shell.Failure(description: "PostgreSQL did not start on \(port)")
    }

    /// Stops it hard, as a crash would (SIGKILL; see `ClickHouseProcess.stop`). It recovers from
    /// its write-ahead log when started again.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        // The postmaster's children end when they see it gone; its pid file is left behind.
        Thread.sleep(forTimeInterval: 0.5)
    }

    public func remove() {
        stop()
        directory.remove()
    }
}
