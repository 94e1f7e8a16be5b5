import Foundation
import Testing
import TrackerTesting

/// Starting on a port another process holds fails with the bind error; nothing waits forever for
/// a port that never comes (a CI run once hung there).
@Suite struct StartupTests {
    @Test func aTakenPortFailsTheStart() async throws {
        let port = try FreePort.next()
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(holder, 1) == 0)

        let error = await #expect(throws: (any Error).self) {
            try await RunningServer.start { $0.listenPort = port }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("in use"), "\(String(describing: error))")
    }
}
