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
        let fd = try HTTPTestClient.connectedSocket(port: port)
        defer { close(fd) }
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
