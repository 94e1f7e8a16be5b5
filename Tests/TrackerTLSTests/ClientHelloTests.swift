import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
@testable import TrackerTLS

/// The ClientHello reader, fed what BoringSSL (through swift-nio-ssl's client) really sends.
struct ClientHelloTests {
    /// The first bytes a real TLS client writes.
    static func realHello(serverName: String?, protocols: [String]) throws -> [UInt8] {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = protocols
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        _ = try? channel.finish()
        return bytes
    }

    @Test func readsTheNameAndProtocolsOfARealHello() throws {
        let bytes = try Self.realHello(serverName: "Shop.Example.com", protocols: ["h2", "http/1.1"])
        #expect(ClientHello.parse(bytes) == .hello(ClientHello(serverName: "shop.example.com", applicationProtocols: ["h2", "http/1.1"])))
    }

    @Test func aHelloWithoutNameOrProtocols() throws {
        let bytes = try Self.realHello(serverName: nil, protocols: [])
        #expect(ClientHello.parse(bytes) == .hello(ClientHello(serverName: nil, applicationProtocols: [])))
    }

    @Test func theValidationHelloOfTLSALPN01() throws {
        let bytes = try Self.realHello(serverName: "api.example.test", protocols: ["acme-tls/1"])
        guard case .hello(let hello) = ClientHello.parse(bytes) else { Issue.record("not parsed"); return }
        #expect(hello.applicationProtocols == [CertificateStore.acmeProtocol])
    }

    @Test func waitsForTheRestOfAHelloThatArrivesInPieces() throws {
        let bytes = try Self.realHello(serverName: "a.test", protocols: ["h2"])
        for cut in [0, 1, 4, 5, 9, 40, bytes.count - 1] {
            #expect(ClientHello.parse(bytes.prefix(cut)) == .incomplete, "cut at \(cut)")
        }
        #expect(ClientHello.parse(bytes).isHello)
    }

    @Test func aHelloFragmentedOverTwoRecords() throws {
        let bytes = try Self.realHello(serverName: "fragmented.test", protocols: ["http/1.1"])
        let payload = Array(bytes[5...])
        let split = 30
        func record(_ part: ArraySlice<UInt8>) -> [UInt8] { [22, 3, 1, UInt8(part.count >> 8), UInt8(part.count & 0xff)] + part }
        let fragmented = record(payload[..<split]) + record(payload[split...])
        #expect(ClientHello.parse(fragmented) == .hello(ClientHello(serverName: "fragmented.test", applicationProtocols: ["http/1.1"])))
        #expect(ClientHello.parse(fragmented.dropLast(3)) == .incomplete)
    }

    @Test func plainHTTPAndGarbageAreNotHellos() {
        #expect(ClientHello.parse(Array("GET / HTTP/1.1\r\n".utf8)) == .invalid)
        #expect(ClientHello.parse([22, 3, 1, 0, 0]) == .invalid)                    // empty record
        #expect(ClientHello.parse([22, 3, 1, 0, 4, 2, 0, 0, 0]) == .invalid)        // a ServerHello
        // A declared extension list longer than the message.
        var broken: [UInt8] = [1, 0, 0, 41, 3, 3] + [UInt8](repeating: 0, count: 32) + [0, 0, 2, 0, 0x2f, 1, 0, 0, 9]
        broken[3] = UInt8(broken.count - 4)
        #expect(ClientHello.parse([22, 3, 1, 0, UInt8(broken.count)] + broken) == .invalid)
    }

    @Test func wildcardMatchingIsOneLabelDeep() {
        #expect(CertifiedKey.matches(pattern: "*.b.test", host: "x.b.test"))
        #expect(!CertifiedKey.matches(pattern: "*.b.test", host: "y.x.b.test"))
        #expect(!CertifiedKey.matches(pattern: "*.b.test", host: "b.test"))
        #expect(CertifiedKey.matches(pattern: "b.test", host: "b.test"))
    }
}

extension ClientHello.Parse {
    var isHello: Bool { if case .hello = self { true } else { false } }
}
