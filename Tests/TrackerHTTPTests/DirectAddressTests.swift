#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import TrackerHTTP

/// Peer addresses of directly served connections are written as NIO writes them elsewhere (the
/// client address of events and access logs must not depend on which path served a request).
@Suite struct DirectAddressTests {
    @Test func ipv4AndIPv6AddressesAndPorts() {
        var storage = sockaddr_storage()
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                address.pointee.sin_family = sa_family_t(AF_INET)
                address.pointee.sin_port = in_port_t(UInt16(8080).bigEndian)
                address.pointee.sin_addr.s_addr = inet_addr("192.0.2.7")
            }
        }
        #expect(DirectAddress.text(storage) == "192.0.2.7")
        #expect(DirectAddress.port(storage) == 8080)

        var six = sockaddr_storage()
        withUnsafeMutablePointer(to: &six) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                address.pointee.sin6_family = sa_family_t(AF_INET6)
                address.pointee.sin6_port = in_port_t(UInt16(443).bigEndian)
                _ = inet_pton(AF_INET6, "2001:db8::1", &address.pointee.sin6_addr)
            }
        }
        #expect(DirectAddress.text(six) == "2001:db8::1")
        #expect(DirectAddress.port(six) == 443)
        #expect(DirectAddress.text(sockaddr_storage()) == nil)
    }
}
