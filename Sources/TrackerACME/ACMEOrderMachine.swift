import Foundation

/// One certificate order (RFC 8555 §7) as a state machine without I/O: it says what to do next
/// (a request, making a challenge answerable, a pause), the driver does it and hands back the
/// reply. Every path of the protocol can so be tested with canned replies, and the driver stays a
/// loop of a few lines.
public struct ACMEOrderMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case fetchDirectory(String)
        /// A signed POST; `payload` nil is POST-as-GET; `kid` nil signs with the JWK (new account).
        case post(url: String, payload: String?, kid: String?)
        /// Make this challenge answerable, then call `provisioned()`.
        case provision(ChallengeTask)
        /// Pause, then call `waited()`.
        case wait(seconds: Double)
        case finished(certificateChain: String, accountURL: String)
        case failed(ACMEProblem)
    }

    public struct Reply: Sendable {
        public var status: Int
        public var location: String?
        public var retryAfter: Double?
        public var body: [UInt8]

        public init(status: Int, location: String? = nil, retryAfter: Double? = nil, body: [UInt8]) {
            self.status = status
            self.location = location
            self.retryAfter = retryAfter
            self.body = body
        }
    }

    public struct ChallengeTask: Sendable, Equatable {
        /// `http-01` or `tls-alpn-01`.
        public var type: String
        public var domain: String
        public var token: String
        public var keyAuthorization: String
    }

    enum Expect: Sendable {
        case directory, account, newOrder
        case authorization(Int)
        case challenge(Int)
        case finalize, order, certificate
        case waiting(then: Action)
        case provisioning(url: String, index: Int)
        case none
    }

    public let directoryURL: String
    public let names: [String]
    public let contact: String?
    /// Challenge types in the order they are preferred; only offered ones are used.
    public let challengeTypes: [String]
    let csr: [UInt8]
    let thumbprint: String
    let pollInterval: Double
    let maxPolls: Int

    public private(set) var accountURL: String?
    public private(set) var orderURL: String?
    var directory: ACMEDirectory?
    var order: ACMEOrder?
    var triggered: Set<Int> = []
    var polls = 0
    var expect = Expect.none

    public init(directoryURL: String, names: [String], contact: String?, challengeTypes: [String], csr: [UInt8],
                thumbprint: String, accountURL: String? = nil, pollInterval: Double = 1, maxPolls: Int = 60) {
        self.directoryURL = directoryURL
        self.names = names
        self.contact = contact
        self.challengeTypes = challengeTypes
        self.csr = csr
        self.thumbprint = thumbprint
        self.accountURL = accountURL
        self.pollInterval = pollInterval
        self.maxPolls = maxPolls
    }

    public mutating func start() -> Action {
        expect = .directory
        return .fetchDirectory(directoryURL)
    }

    public mutating func provisioned() -> Action {
        guard case .provisioning(let url, let index) = expect else { return fail("provisioned() out of turn") }
        expect = .challenge(index)
        return post(url, payload: "{}")
    }

    public mutating func waited() -> Action {
        guard case .waiting(let then) = expect else { return fail("waited() out of turn") }
        switch then {
        case .post(let url, _, _) where url == orderURL: expect = .order
        case .post(let url, _, _):
            guard let index = order?.authorizations.firstIndex(of: url) else { return fail("unknown poll") }
            expect = .authorization(index)
        default: return fail("unknown wait")
        }
        return then
    }

    public mutating func handle(_ reply: Reply) -> Action {
        guard (200..<300).contains(reply.status) else {
            let problem = (try? JSONDecoder().decode(ACMEProblem.self, from: Data(reply.body)))
                ?? ACMEProblem(type: "urn:ietf:params:acme:error:serverInternal", detail: "HTTP \(reply.status)", status: reply.status)
            expect = .none
            return .failed(problem)
        }
        switch expect {
        case .directory:
            guard let directory = decode(ACMEDirectory.self, reply) else { return fail("unreadable directory") }
            self.directory = directory
            if accountURL != nil { return newOrder() }
            expect = .account
            var payload = "{\"termsOfServiceAgreed\":true"
            if let contact { payload += ",\"contact\":[" + AccountKey.quote("mailto:" + contact) + "]" }
            return .post(url: directory.newAccount, payload: payload + "}", kid: nil)
        case .account:
            guard let location = reply.location else { return fail("the new account has no Location") }
            accountURL = location
            return newOrder()
        case .newOrder:
            guard let location = reply.location, let order = decode(ACMEOrder.self, reply) else { return fail("unreadable order") }
            orderURL = location
            return proceed(with: order)
        case .authorization(let index):
            guard let authorization = decode(ACMEAuthorization.self, reply) else { return fail("unreadable authorization") }
            return authorizationStep(index, authorization, retryAfter: reply.retryAfter)
        case .challenge(let index):
            triggered.insert(index)
            return pause(reply.retryAfter, then: post(order!.authorizations[index], payload: nil))
        case .finalize, .order:
            guard let order = decode(ACMEOrder.self, reply) else { return fail("unreadable order") }
            return afterFinalize(order, retryAfter: reply.retryAfter)
        case .certificate:
            let pem = String(decoding: reply.body, as: UTF8.self)
            guard pem.contains("-----BEGIN CERTIFICATE-----") else { return fail("the certificate is not PEM") }
            expect = .none
            return .finished(certificateChain: pem, accountURL: accountURL ?? "")
        case .waiting, .provisioning, .none:
            return fail("a reply out of turn")
        }
    }

    mutating func newOrder() -> Action {
        expect = .newOrder
        let identifiers = names.map { "{\"type\":\"dns\",\"value\":" + AccountKey.quote($0) + "}" }.joined(separator: ",")
        return post(directory!.newOrder, payload: "{\"identifiers\":[\(identifiers)]}")
    }

    mutating func proceed(with order: ACMEOrder) -> Action {
        self.order = order
        switch order.status {
        case "pending": return nextAuthorization(after: -1)
        case "ready": return finalize()
        case "valid", "processing": return afterFinalize(order, retryAfter: nil)
        default: return failed(order.error, "the order is \(order.status)")
        }
    }

    mutating func nextAuthorization(after index: Int) -> Action {
        let next = index + 1
        guard let order, next < order.authorizations.count else { return finalize() }
        polls = 0
        expect = .authorization(next)
        return post(order.authorizations[next], payload: nil)
    }

    mutating func authorizationStep(_ index: Int, _ authorization: ACMEAuthorization, retryAfter: Double?) -> Action {
        switch authorization.status {
        case "valid": return nextAuthorization(after: index)
        case "pending" where triggered.contains(index):
            return pause(retryAfter, then: post(order!.authorizations[index], payload: nil))
        case "pending":
            for type in challengeTypes {
                guard let challenge = authorization.challenges.first(where: { $0.type == type }), let token = challenge.token else { continue }
                expect = .provisioning(url: challenge.url, index: index)
                return .provision(ChallengeTask(type: type, domain: authorization.identifier.value, token: token,
                                                keyAuthorization: token + "." + thumbprint))
            }
            return fail("no offered challenge for \(authorization.identifier.value) is enabled "
                + "(offered: \(authorization.challenges.map(\.type).joined(separator: ", ")))")
        default:
            let reason = authorization.challenges.compactMap(\.error).first
            return failed(reason, "the authorization for \(authorization.identifier.value) is \(authorization.status)")
        }
    }

    mutating func finalize() -> Action {
        guard let order else { return fail("no order") }
        polls = 0
        expect = .finalize
        return post(order.finalize, payload: "{\"csr\":\"\(Base64URL.encode(csr))\"}")
    }

    mutating func afterFinalize(_ order: ACMEOrder, retryAfter: Double?) -> Action {
        self.order = order
        switch order.status {
        case "valid":
            guard let certificate = order.certificate else { return fail("a valid order without a certificate URL") }
            expect = .certificate
            return post(certificate, payload: nil)
        case "processing", "ready":
            guard let orderURL else { return fail("no order URL") }
            return pause(retryAfter, then: post(orderURL, payload: nil))
        default: return failed(order.error, "the order is \(order.status)")
        }
    }

    mutating func pause(_ retryAfter: Double?, then action: Action) -> Action {
        polls += 1
        guard polls <= maxPolls else { return fail("gave up after \(maxPolls) polls") }
        expect = .waiting(then: action)
        return .wait(seconds: min(max(retryAfter ?? pollInterval, 0.1), 60))
    }

    func post(_ url: String, payload: String?) -> Action {
        .post(url: url, payload: payload, kid: accountURL)
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) -> T? {
        try? JSONDecoder().decode(type, from: Data(reply.body))
    }

    mutating func fail(_ detail: String) -> Action {
        expect = .none
        return .failed(ACMEProblem(type: "urn:ietf:params:acme:error:malformed", detail: detail))
    }

    mutating func failed(_ problem: ACMEProblem?, _ detail: String) -> Action {
        expect = .none
        return .failed(problem ?? ACMEProblem(type: "urn:ietf:params:acme:error:unauthorized", detail: detail))
    }
}
