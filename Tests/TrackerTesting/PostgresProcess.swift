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
    var process: ChildProcess?

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

    /// Starts the server and waits (20 s at most) until it accepts connections; launched again if
    /// it exits first (after a kill, until the old server's last processes are gone).
    public func start() async throws {
        for _ in 0..<10 {
            let process = try launch()
            for _ in 0..<40 {
                if FreePort.isOpen(port) { return }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            if process.isRunning, FreePort.isOpen(port) { return }
            if process.isRunning { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        for _ in 0..<200 {
            if FreePort.isOpen(port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Shell.Failure(description: "PostgreSQL did not start on \(port)")
    }

    func launch() throws -> ChildProcess {
        let process = try ChildProcess("/usr/bin/setpriv", [
            "--reuid=postgres", "--regid=postgres", "--init-groups", Self.bin + "/postgres", "-D", directory.file("data"),
            "-c", "listen_addresses=127.0.0.1", "-p", String(port), "-k", directory.file("data"), "-c", "fsync=off",
        ])
        self.process = process
        return process
    }

    /// Stops it hard, as a crash would (SIGKILL). It recovers from
    /// its write-ahead log when started again.
    public func stop() {
        guard let process else { return }
        let children = Self.children(of: process.pid)
        process.signal(SIGKILL)
        process.wait()
        self.process = nil
        // Its children too, and wait for them: while one holds the shared memory, a new server
        // on this data refuses to start.
        for child in children { kill(child, SIGKILL) }
        for _ in 0..<200 where children.contains(where: { kill($0, 0) == 0 }) { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Processes whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }

    public func remove() {
        stop()
        directory.remove()
    }
}
