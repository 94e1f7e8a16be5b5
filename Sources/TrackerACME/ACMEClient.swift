import Foundation

/// Runs an `ACMEOrderMachine` over the network: the loop that performs each action it asks for.
public struct ACMEClient: Sendable {
    public let transport: ACMETransport
    public let key: AccountKey

    public init(transport: ACMETransport, key: AccountKey) {
        self.transport = transport
        self.key = key
    }

    public struct Issued: Sendable {
        public var chainPEM: String
        public var keyPEM: String
        public var accountURL: String
    }

    /// Orders a certificate for `names`; challenges are made answerable through `provision` and
    /// withdrawn through `withdraw` once the order is over, whatever its outcome.
    public func obtain(directoryURL: String, names: [String], contact: String?, challengeTypes: [String], accountURL: String?,
                       pollInterval: Double = 1,
                       provision: @Sendable (ACMEOrderMachine.ChallengeTask) async throws -> Void,
                       withdraw: @Sendable (ACMEOrderMachine.ChallengeTask) -> Void) async throws -> Issued {
        let request = try CertificateRequest.make(names: names)
        var machine = ACMEOrderMachine(directoryURL: directoryURL, names: names, contact: contact, challengeTypes: challengeTypes,
                                       csr: request.csrDER, thumbprint: key.thumbprint, accountURL: accountURL,
                                       pollInterval: pollInterval)
        var provisioned: [ACMEOrderMachine.ChallengeTask] = []
        defer { provisioned.forEach(withdraw) }
        var action = machine.start()
        while true {
            try Task.checkCancellation()
            switch action {
            case .fetchDirectory(let url):
                action = machine.handle(try await transport.get(url))
            case .post(let url, let payload, let kid):
                let reply = try await transport.post(url, payload: payload, kid: kid, newNonceURL: machine.newNonceURL ?? url)
                action = machine.handle(reply)
            case .provision(let task):
                try await provision(task)
                provisioned.append(task)
                action = machine.provisioned()
            case .wait(let seconds):
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                action = machine.waited()
            case .finished(let chain, let account):
                return Issued(chainPEM: chain, keyPEM: request.keyPEM, accountURL: account)
            case .failed(let problem):
                throw problem
            }
        }
    }
}

extension ACMEOrderMachine {
    public var newNonceURL: String? { directory?.newNonce }
}
