import Foundation

/// A test CA and leaf certificates signed by it, made by `openssl` (a tool no one here wrote, so
/// the files are what real operators hand the server).
public struct TestCertificates: Sendable {
    public let directory: TemporaryDirectory
    public var caCertificate: String { directory.file("ca.pem") }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    public init() throws {
        directory = TemporaryDirectory("certificates")
        _ = try Shell.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", directory.file("ca.key"), "-out", directory.file("ca.pem"), "-days", "2",
                                               "-subj", "/CN=tracker test CA"])
    }

    /// A leaf for `names` (the first is the CN; IPv4 addresses become IP entries), written as
    /// `<file>.pem` and `<file>.key`.
    @discardableResult
    public func leaf(_ names: [String], file: String, days: Int = 2) throws -> (certificate: String, key: String) {
        let certificate = directory.file(file + ".pem"), key = directory.file(file + ".key"), csr = directory.file(file + ".csr")
        let extensions = directory.file(file + ".ext")
        try "subjectAltName=\(names.map { $0.allSatisfy { $0.isNumber || $0 == "." } ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ","))\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        _ = try Shell.run("/usr/bin/openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", key, "-out", csr, "-subj", "/CN=\(names[0])"])
        _ = try Shell.run("/usr/bin/openssl", ["x509", "-req", "-in", csr, "-CA", caCertificate, "-CAkey", directory.file("ca.key"),
                                               "-CAcreateserial", "-out", certificate, "-days", String(days), "-extfile", extensions])
        return (certificate, key)
    }

    public func remove() { directory.remove() }
}

/// What a real TLS client (curl, openssl) sees of a server.
public enum TLSProbe {
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") && TestCertificates.isAvailable
    }

    /// `curl` to `https://<host>:<port><path>` resolved to 127.0.0.1, trusting `ca`: the body,
    /// the HTTP version and the response headers.
    public static func curl(host: String, port: Int, path: String = "/ping", ca: String, extra: [String] = []) async throws
        -> (body: String, version: String, headers: String) {
        try await OwnThread.run { try curlBlocking(host: host, port: port, path: path, ca: ca, extra: extra) }
    }

    static func curlBlocking(host: String, port: Int, path: String, ca: String, extra: [String]) throws
        -> (body: String, version: String, headers: String) {
        let directory = TemporaryDirectory("curl")
        defer { directory.remove() }
        let headers = directory.file("headers")
        let output = try Shell.run("/usr/bin/curl", ["-s", "-S", "--max-time", "10", "--cacert", ca, "--resolve", "\(host):\(port):127.0.0.1",
                                                     "-D", headers, "-w", "\n%{http_version}", "https://\(host):\(port)\(path)"] + extra)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (lines.dropLast().joined(separator: "\n"), String(lines.last ?? ""),
                (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
    }

    /// The subject line and serial of the certificate served for `serverName`, by `openssl s_client`.
    public static func served(port: Int, serverName: String?, alpn: String? = nil, extra: [String] = []) async throws -> String {
        try await OwnThread.run { try servedBlocking(port: port, serverName: serverName, alpn: alpn, extra: extra) }
    }

    static func servedBlocking(port: Int, serverName: String?, alpn: String?, extra: [String]) throws -> String {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-showcerts"]
        if let serverName { arguments += ["-servername", serverName] } else { arguments += ["-noservername"] }
        if let alpn { arguments += ["-alpn", alpn] }
        let directory = TemporaryDirectory("s_client")
        defer { directory.remove() }
        let out = directory.file("out")
        let child = try ChildProcess("/usr/bin/openssl", arguments + extra, stdout: out, stderr: directory.file("err"))
        _ = child.wait()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"), let end = text.range(of: "-----END CERTIFICATE-----") else {
            return text
        }
        let pem = directory.file("leaf.pem")
        try String(text[begin.lowerBound..<end.upperBound]).write(toFile: pem, atomically: true, encoding: .utf8)
        return try Shell.run("/usr/bin/openssl", ["x509", "-in", pem, "-noout", "-subject", "-serial", "-ext", "subjectAltName"])
    }
}

/// Runs blocking work (a child process to wait for) on a thread of its own: blocking one of the
/// few threads of Swift's pool would starve servers running in this same test process.
public enum OwnThread {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
