import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A slowloris client: sends the start of a request, then one header byte every `interval`, until
/// the server answers or closes, or `limit` seconds pass.
public enum SlowClient {
    public struct Outcome: Sendable {
        /// What the server sent before closing (empty when it said nothing).
        public let received: String
        /// Seconds from the first byte to the server's answer or close; nil if it never did.
        public let closedAfter: Double?
    }

    public static func trickle(port: Int, interval: Double, limit: Double) throws -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HTTPTestClient.Failure(description: "connect failed") }
        let start = Date()
        var message = Array("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        var received: [UInt8] = []
        while Date().timeIntervalSince(start) < limit {
            _ = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            message = [UInt8(ascii: "a")]
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(interval * 1000)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { received += buffer[0..<n] }
                return Outcome(received: String(decoding: received, as: UTF8.self), closedAfter: Date().timeIntervalSince(start))
            }
        }
        return Outcome(received: String(decoding: received, as: UTF8.self), closedAfter: nil)
    }
}
