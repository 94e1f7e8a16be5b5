import Foundation
import Synchronization

/// A loopback TCP port nobody listens on right now, for servers a test starts itself.
///
/// Drawn below Linux's ephemeral range (32768–60999): a port the kernel handed out for port 0
/// could be handed out again, to Pebble's DNS or an outgoing connection, before the test's server
/// binds it (a CI run hung on exactly that). Ports here are only ever chosen on purpose.
public enum FreePort {
    static let range = 20_000..<32_768
    /// Handed out already in this process: a test asking for four ports gets four, even before
    /// it binds any of them.
    static let given = Mutex(Set<Int>())

    public static func next() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: range)
            guard given.withLock({ $0.insert(port).inserted }) else { continue }
            if try bindable(port) { return port }
        }
        throw Shell.Failure(description: "no free port in \(range)")
    }

    static func bindable(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Shell.Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
        }
    }

    /// Whether something accepts connections on the port.
    public static func isOpen(_ port: Int) -> Bool {
        guard let fd = try? HTTPTestClient.connectedSocket(port: port) else { return false }
        close(fd)
        return true
    }
}
