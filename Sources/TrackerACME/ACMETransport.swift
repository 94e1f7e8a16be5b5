import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// HTTP for ACME: nonces kept from every reply (a fresh one fetched when none is left), each POST
/// signed with the account key, and `badNonce` rejections retried with the nonce that came with
/// them, as RFC 8555 §6.5 asks.
public final class ACMETransport: Sendable {
    let client: HTTPClient
    let key: AccountKey
    let nonces = NonceStore()
    let timeout: TimeAmount

    /// `caRoot`: a PEM file trusted in addition to the system's (a private or test CA).
    public init(key: AccountKey, caRoot: String?, timeout: TimeAmount = .seconds(30)) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caRoot {
            tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caRoot))]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.key = key
        self.timeout = timeout
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    public func get(_ url: String) async throws -> ACMEOrderMachine.Reply {
        try await send(HTTPClientRequest(url: url))
    }

    public func post(_ url: String, payload: String?, kid: String?, newNonceURL: String) async throws -> ACMEOrderMachine.Reply {
        var attempts = 0
        while true {
            attempts += 1
            let nonce = try await nonce(newNonceURL)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/jose+json")
            request.headers.add(name: "accept", value: "application/pem-certificate-chain, application/json")
            request.body = .bytes(ByteBuffer(string: try key.sign(url: url, nonce: nonce, kid: kid, payload: payload)))
            let reply = try await send(request)
            if reply.status == 400, attempts < 10,
               let problem = try? JSONDecoder().decode(ACMEProblem.self, from: Data(reply.body)), problem.isBadNonce {
                continue
            }
            return reply
        }
    }

    func nonce(_ newNonceURL: String) async throws -> String {
        if let nonce = nonces.take() { return nonce }
        var request = HTTPClientRequest(url: newNonceURL)
        request.method = .HEAD
        _ = try await send(request)
        guard let nonce = nonces.take() else { throw ACMEProblem(type: "urn:ietf:params:acme:error:badNonce", detail: "the server gave no nonce") }
        return nonce
    }

    func send(_ request: HTTPClientRequest) async throws -> ACMEOrderMachine.Reply {
        let response = try await client.execute(request, timeout: timeout)
        if let nonce = response.headers.first(name: "replay-nonce") { nonces.put(nonce) }
        let body = try await response.body.collect(upTo: 4 << 20)
        return ACMEOrderMachine.Reply(
            status: Int(response.status.code), location: response.headers.first(name: "location"),
            retryAfter: response.headers.first(name: "retry-after").flatMap(Double.init),
            body: Array(body.readableBytesView))
    }
}

final class NonceStore: Sendable {
    let nonces = Mutex<[String]>([])
    func take() -> String? { nonces.withLock { $0.popLast() } }
    func put(_ nonce: String) {
        nonces.withLock { nonces in
            nonces.append(nonce)
            if nonces.count > 16 { nonces.removeFirst() }
        }
    }
}
