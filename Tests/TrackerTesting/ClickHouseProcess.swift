import Foundation

/// A ClickHouse server of the test's own (Debian's `clickhouse-server`), on free ports, with its
/// data in a temporary directory, so a test can stop it mid-run and start it again on that data.
public final class ClickHouseProcess: @unchecked Sendable {
    public static let binary = "/usr/sbin/clickhouse-server"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let directory: TemporaryDirectory
    public let httpPort: Int
    let tcpPort: Int
    var process: ChildProcess?

    public init() throws {
        directory = TemporaryDirectory("clickhouse")
        httpPort = try FreePort.next()
        tcpPort = try FreePort.next()
        let root = directory.path
        for sub in ["data", "tmp", "log", "user_files", "format_schemas"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        try """
        <?xml version="1.0"?>
        <yandex>
          <logger><level>warning</level><log>\(root)/log/server.log</log><errorlog>\(root)/log/server.err.log</errorlog></logger>
          <listen_host>127.0.0.1</listen_host>
          <http_port>\(httpPort)</http_port>
          <tcp_port>\(tcpPort)</tcp_port>
          <max_concurrent_queries>50</max_concurrent_queries>
          <mark_cache_size>67108864</mark_cache_size>
          <path>\(root)/data/</path>
          <tmp_path>\(root)/tmp/</tmp_path>
          <user_files_path>\(root)/user_files/</user_files_path>
          <format_schema_path>\(root)/format_schemas/</format_schema_path>
          <users_config>users.xml</users_config>
          <default_profile>default</default_profile>
          <default_database>default</default_database>
          <timezone>UTC</timezone>
          <mlock_executable>false</mlock_executable>
        </yandex>
        """.write(toFile: "\(root)/config.xml", atomically: true, encoding: .utf8)
        try """
        <?xml version="1.0"?>
        <yandex>
          <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
          <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile><quota>default</quota></default></users>
          <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
            <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
        </yandex>
        """.write(toFile: "\(root)/users.xml", atomically: true, encoding: .utf8)
    }

    public var url: String { "http://127.0.0.1:\(httpPort)" }

    /// Starts the server and waits (20 s at most) until it answers `/ping`; launched again if it
    /// exits first.
    public func start() async throws {
        let client = HTTPTestClient(port: httpPort)
        for _ in 0..<5 {
            let process = try launch()
            for _ in 0..<200 {
                if (try? client.get("/ping"))?.status == 200 { return }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw Shell.Failure(description: "ClickHouse did not start on \(httpPort)")
    }

    func launch() throws -> ChildProcess {
        let process = try ChildProcess(Self.binary, ["--config-file=\(directory.path)/config.xml"])
        self.process = process
        return process
    }

    /// Stops it hard, as a crash or a pulled cable would.
    public func stop() {
        guard let process else { return }
        process.signal(SIGKILL)
        process.wait()
        self.process = nil
    }

    public func remove() {
        stop()
        directory.remove()
    }
}
