import Foundation

/// Let's Encrypt's test CA (Debian's `pebble`) and its fake DNS (`pebble-challtestsrv`, every
/// name → 127.0.0.1), on free ports, validating challenges on the ports given: the tracker under
/// test listens there. Pebble makes a new root at every start; `issuingRoot()` fetches it.
public final class PebbleProcess: @unchecked Sendable {
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/pebble")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/pebble-challtestsrv") && TLSProbe.isAvailable
    }
    public static let skipMessage = "needs Debian's pebble (apt-get install pebble), openssl and curl"

    public let directory: TemporaryDirectory
    public let port: Int
    public let managementPort: Int
    let dnsPort: Int
    let dnsManagementPort: Int
    let environment: [String: String]
    var pebble: ChildProcess?
    var dns: ChildProcess?

    /// `httpPort`/`tlsPort`: where HTTP-01 and TLS-ALPN-01 validations connect.
    /// `nonceRejectPercent`: the share of good nonces refused with badNonce (Pebble's default 5).
    public init(httpPort: Int, tlsPort: Int, validitySeconds: Int = 3600, nonceRejectPercent: Int = 5) throws {
        directory = TemporaryDirectory("pebble")
        port = try FreePort.next()
        managementPort = try FreePort.next()
        dnsPort = try FreePort.next()
        dnsManagementPort = try FreePort.next()
        environment = ["PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": String(nonceRejectPercent)]
        // Pebble's own HTTPS listener needs a certificate; the ACME client trusts its CA.
        let certificates = try TestCertificates()
        try FileManager.default.copyItem(atPath: certificates.caCertificate, toPath: directory.file("ca.pem"))
        let leaf = try certificates.leaf(["localhost", "127.0.0.1"], file: "pebble")
        try FileManager.default.copyItem(atPath: leaf.certificate, toPath: directory.file("pebble.pem"))
        try FileManager.default.copyItem(atPath: leaf.key, toPath: directory.file("pebble.key"))
        certificates.remove()
        let config = """
            {"pebble": {"listenAddress": "127.0.0.1:\(port)", "managementListenAddress": "127.0.0.1:\(managementPort)",
             "certificate": "\(directory.file("pebble.pem"))", "privateKey": "\(directory.file("pebble.key"))",
             "httpPort": \(httpPort), "tlsPort": \(tlsPort), "ocspResponderURL": "", "externalAccountBindingRequired": false,
             "certificateValidityPeriod": \(validitySeconds)}}
            """
        try config.write(toFile: directory.file("pebble.json"), atomically: true, encoding: .utf8)
    }

    public var directoryURL: String { "https://127.0.0.1:\(port)/dir" }
    /// The root of Pebble's own HTTPS (for the ACME client).
    public var caRoot: String { directory.file("ca.pem") }

    public func start() async throws {
        dns = try ChildProcess("/usr/bin/pebble-challtestsrv", [
            "-management", "127.0.0.1:\(dnsManagementPort)", "-dns01", "127.0.0.1:\(dnsPort)", "-http01", "", "-https01", "",
            "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
        ], stdout: directory.file("dns.log"), stderr: directory.file("dns.err"))
        pebble = try ChildProcess("/usr/bin/pebble", ["-config", directory.file("pebble.json"), "-dnsserver", "127.0.0.1:\(dnsPort)"],
                                  stdout: directory.file("pebble.log"), stderr: directory.file("pebble.err"), environment: environment)
        for _ in 0..<200 {
            if FreePort.isOpen(port), FreePort.isOpen(managementPort), FreePort.isOpen(dnsManagementPort) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Shell.Failure(description: "Pebble did not start on \(port)")
    }

    /// The root that signs the certificates Pebble issues (new at every start), as a PEM file.
    public func issuingRoot() throws -> String {
        let path = directory.file("issuing-root.pem")
        _ = try Shell.run("/usr/bin/curl", ["-sfS", "--cacert", caRoot, "-o", path, "https://127.0.0.1:\(managementPort)/roots/0"])
        return path
    }

    /// Stops the CA (both processes), as an outage would.
    public func stop() {
        for process in [pebble, dns].compactMap({ $0 }) {
            process.signal(SIGKILL)
            _ = process.wait()
        }
        pebble = nil
        dns = nil
    }

    public var log: String {
        ((try? String(contentsOfFile: directory.file("pebble.log"), encoding: .utf8)) ?? "")
            + ((try? String(contentsOfFile: directory.file("pebble.err"), encoding: .utf8)) ?? "")
    }

    deinit { stop() }
}
