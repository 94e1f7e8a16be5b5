import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 client over a blocking socket: tests see exactly the bytes the
/// server sends (no cookie jar, no redirect following, no header folding).
public struct HTTPTestClient: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public func headers(_ name: String) -> [String] {
            headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }

        public var text: String { String(decoding: body, as: UTF8.self) }

        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int

    public init(port: Int) {
        self.port = port
    }

    public func get(_ target: String, headers: [String: String] = [:]) throws -> Response {
        try send("GET", target, headers: headers)
    }

    public func post(_ target: String, body: String, contentType: String = "application/json",
                     headers: [String: String] = [:]) throws -> Response {
        var all = headers
        all["Content-Type"] = contentType
        return try send("POST", target, headers: all, body: Array(body.utf8))
    }

    public func send(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> Response {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: \(headers["Host"] ?? "localhost")\r\nConnection: close\r\n"
        for (name, value) in headers where name != "Host" { request += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { request += "Content-Length: \(body.count)\r\n" }
        request += "\r\n"
        return try exchange(Array(request.utf8) + body, headOnly: method == "HEAD")
    }

    /// Sends raw bytes and reads until the server closes (pipelined requests, the last with
    /// `Connection: close`).
    public func rawUntilClosed(_ bytes: [UInt8]) throws -> String {
        let fd = try Self.connectedSocket(port: port)
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return String(decoding: Self.readUntilClosed(fd), as: UTF8.self)
    }

    /// Everything the server sends on this socket until it closes it (or the socket's receive
    /// timeout passes).
    public static func readUntilClosed(_ fd: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return received
    }

    /// Sends raw bytes (for malformed requests) and reads one response.
    public func exchange(_ bytes: [UInt8], headOnly: Bool = false) throws -> Response {
        let fd = try Self.connectedSocket(port: port)
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            sent += n
        }
        return try Self.readResponse(fd, headOnly: headOnly)
    }

    /// The next whole answer on this socket (after its receive timeout: what came, if a head).
    public static func readResponse(_ fd: Int32, headOnly: Bool = false) throws -> Response {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if let response = Self.complete(received, headOnly: headOnly) { return response }
        }
        guard let response = Self.complete(received, headOnly: headOnly) ?? Self.complete(received, headOnly: true) else {
            throw Failure(description: "incomplete response: \(String(decoding: received, as: UTF8.self))")
        }
        return response
    }

    /// A blocking TCP socket connected to 127.0.0.1:port, whose reads give up after 30 s (a test
    /// waiting for an answer that never comes fails instead of hanging); the caller closes it.
    public static func connectedSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "connect to port \(port) failed: errno \(errno)")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func complete(_ data: [UInt8], headOnly: Bool) -> Response? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = data.indices.first(where: { data[$0...].starts(with: separator) }) else { return nil }
        let headText = String(decoding: data[..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers: [(String, String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let body = Array(data[(end + 4)...])
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        if headOnly { return Response(status: status, headers: headers, body: []) }
        guard body.count >= length else { return nil }
        return Response(status: status, headers: headers, body: Array(body.prefix(length)))
    }
}
