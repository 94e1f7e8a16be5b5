import Foundation
import Testing
@testable import TrackerACME

/// Every path of an order, driven with the replies an RFC 8555 server sends.
struct ACMEOrderMachineTests {
    static let directory = #"{"newNonce":"https://ca/nonce","newAccount":"https://ca/account","newOrder":"https://ca/order","meta":{"termsOfService":"https://ca/tos"}}"#

    static func reply(_ json: String, status: Int = 200, location: String? = nil, retryAfter: Double? = nil) -> ACMEOrderMachine.Reply {
        ACMEOrderMachine.Reply(status: status, location: location, retryAfter: retryAfter, body: Array(json.utf8))
    }

    static func machine(accountURL: String? = nil, challenges: [String] = ["http-01", "tls-alpn-01"], maxPolls: Int = 60) -> ACMEOrderMachine {
        ACMEOrderMachine(directoryURL: "https://ca/dir", names: ["a.test", "b.test"], contact: "ops@a.test",
                         challengeTypes: challenges, csr: [1, 2, 3], thumbprint: "THUMB", accountURL: accountURL, maxPolls: maxPolls)
    }

    static func authorization(_ name: String, _ status: String, error: String? = nil) -> String {
        let problem = error.map { #","error":{"type":"urn:ietf:params:acme:error:unauthorized","detail":"\#($0)"}"# } ?? ""
        return #"{"status":"\#(status)","identifier":{"type":"dns","value":"\#(name)"},"challenges":["#
            + #"{"type":"dns-01","url":"https://ca/chall/\#(name)/dns","status":"pending","token":"tokD"},"#
            + #"{"type":"tls-alpn-01","url":"https://ca/chall/\#(name)/alpn","status":"pending","token":"tokA"},"#
            + #"{"type":"http-01","url":"https://ca/chall/\#(name)/http","status":"\#(status == "invalid" ? "invalid" : "pending")","token":"tok-\#(name)"\#(problem)}]}"#
    }

    static let pendingOrder = #"{"status":"pending","identifiers":[{"type":"dns","value":"a.test"},{"type":"dns","value":"b.test"}],"authorizations":["https://ca/authz/a","https://ca/authz/b"],"finalize":"https://ca/finalize/1"}"#

    @Test func aWholeOrderFromNewAccountToCertificate() {
        var m = Self.machine()
        #expect(m.start() == .fetchDirectory("https://ca/dir"))
        guard case .post(let accountURL, let accountPayload?, nil) = m.handle(Self.reply(Self.directory)) else {
            Issue.record("expected a new account signed with the JWK"); return
        }
        #expect(accountURL == "https://ca/account")
        #expect(accountPayload.contains(#""termsOfServiceAgreed":true"#))
        #expect(accountPayload.contains("mailto:ops@a.test"))

        guard case .post("https://ca/order", let orderPayload?, "https://ca/acct/1") =
            m.handle(Self.reply(#"{"status":"valid"}"#, status: 201, location: "https://ca/acct/1")) else {
            Issue.record("expected a new order with the account's kid"); return
        }
        #expect(orderPayload == #"{"identifiers":[{"type":"dns","value":"a.test"},{"type":"dns","value":"b.test"}]}"#)

        // The first authorization is pending: its preferred challenge is made answerable.
        #expect(m.handle(Self.reply(Self.pendingOrder, status: 201, location: "https://ca/order/1"))
                == .post(url: "https://ca/authz/a", payload: nil, kid: "https://ca/acct/1"))
        #expect(m.handle(Self.reply(Self.authorization("a.test", "pending")))
                == .provision(.init(type: "http-01", domain: "a.test", token: "tok-a.test", keyAuthorization: "tok-a.test.THUMB")))
        #expect(m.provisioned() == .post(url: "https://ca/chall/a.test/http", payload: "{}", kid: "https://ca/acct/1"))
        #expect(m.handle(Self.reply(#"{"type":"http-01","status":"processing"}"#, retryAfter: 2)) == .wait(seconds: 2))
        #expect(m.waited() == .post(url: "https://ca/authz/a", payload: nil, kid: "https://ca/acct/1"))
        // Still pending: poll again, without a second challenge response.
        #expect(m.handle(Self.reply(Self.authorization("a.test", "pending"))) == .wait(seconds: 1))
        #expect(m.waited() == .post(url: "https://ca/authz/a", payload: nil, kid: "https://ca/acct/1"))
        #expect(m.handle(Self.reply(Self.authorization("a.test", "valid")))
                == .post(url: "https://ca/authz/b", payload: nil, kid: "https://ca/acct/1"))
        // The second was already valid (reused): straight to finalize with the CSR.
        #expect(m.handle(Self.reply(Self.authorization("b.test", "valid")))
                == .post(url: "https://ca/finalize/1", payload: #"{"csr":"AQID"}"#, kid: "https://ca/acct/1"))
        let processing = Self.pendingOrder.replacingOccurrences(of: #""status":"pending""#, with: #""status":"processing""#)
        #expect(m.handle(Self.reply(processing)) == .wait(seconds: 1))
        #expect(m.waited() == .post(url: "https://ca/order/1", payload: nil, kid: "https://ca/acct/1"))
        let valid = Self.pendingOrder.replacingOccurrences(of: #""status":"pending""#, with: #""status":"valid","certificate":"https://ca/cert/1""#)
        #expect(m.handle(Self.reply(valid)) == .post(url: "https://ca/cert/1", payload: nil, kid: "https://ca/acct/1"))
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        #expect(m.handle(Self.reply(pem)) == .finished(certificateChain: pem, accountURL: "https://ca/acct/1"))
    }

    @Test func aKnownAccountOrdersAtOnceAndAReadyOrderIsFinalized() {
        var m = Self.machine(accountURL: "https://ca/acct/9")
        _ = m.start()
        #expect(m.handle(Self.reply(Self.directory)) == .post(url: "https://ca/order", payload:
            #"{"identifiers":[{"type":"dns","value":"a.test"},{"type":"dns","value":"b.test"}]}"#, kid: "https://ca/acct/9"))
        let ready = Self.pendingOrder.replacingOccurrences(of: #""status":"pending""#, with: #""status":"ready""#)
        #expect(m.handle(Self.reply(ready, status: 201, location: "https://ca/order/2"))
                == .post(url: "https://ca/finalize/1", payload: #"{"csr":"AQID"}"#, kid: "https://ca/acct/9"))
    }

    @Test func challengePreferenceFollowsTheConfiguration() {
        var m = Self.machine(accountURL: "https://ca/acct/9", challenges: ["tls-alpn-01"])
        _ = m.start()
        _ = m.handle(Self.reply(Self.directory))
        _ = m.handle(Self.reply(Self.pendingOrder, status: 201, location: "https://ca/order/1"))
        #expect(m.handle(Self.reply(Self.authorization("a.test", "pending")))
                == .provision(.init(type: "tls-alpn-01", domain: "a.test", token: "tokA", keyAuthorization: "tokA.THUMB")))
    }

    @Test func noEnabledChallengeOfferedFailsWithTheOfferedOnes() {
        var m = Self.machine(accountURL: "https://ca/acct/9", challenges: ["dns-02"])
        _ = m.start()
        _ = m.handle(Self.reply(Self.directory))
        _ = m.handle(Self.reply(Self.pendingOrder, status: 201, location: "https://ca/order/1"))
        guard case .failed(let problem) = m.handle(Self.reply(Self.authorization("a.test", "pending"))) else {
            Issue.record("expected a failure"); return
        }
        #expect(problem.description.contains("offered: dns-01, tls-alpn-01, http-01"))
    }

    @Test func anInvalidAuthorizationFailsWithTheValidationError() {
        var m = Self.machine(accountURL: "https://ca/acct/9")
        _ = m.start()
        _ = m.handle(Self.reply(Self.directory))
        _ = m.handle(Self.reply(Self.pendingOrder, status: 201, location: "https://ca/order/1"))
        guard case .failed(let problem) = m.handle(Self.reply(Self.authorization("a.test", "invalid", error: "connection refused"))) else {
            Issue.record("expected a failure"); return
        }
        #expect(problem.detail == "connection refused")
    }

    @Test func errorRepliesBecomeTheirProblemDocuments() {
        var m = Self.machine()
        _ = m.start()
        let action = m.handle(Self.reply(#"{"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many certificates","status":429}"#, status: 429))
        #expect(action == .failed(ACMEProblem(type: "urn:ietf:params:acme:error:rateLimited", detail: "too many certificates", status: 429)))
        var other = Self.machine()
        _ = other.start()
        guard case .failed(let problem) = other.handle(Self.reply("<html>bad gateway</html>", status: 502)) else {
            Issue.record("expected a failure"); return
        }
        #expect(problem.description.contains("HTTP 502"))
    }

    @Test func pollingGivesUpAfterItsLimit() {
        var m = Self.machine(accountURL: "https://ca/acct/9", maxPolls: 2)
        _ = m.start()
        _ = m.handle(Self.reply(Self.directory))
        _ = m.handle(Self.reply(Self.pendingOrder, status: 201, location: "https://ca/order/1"))
        _ = m.handle(Self.reply(Self.authorization("a.test", "pending")))
        _ = m.provisioned()
        #expect(m.handle(Self.reply("{}")) == .wait(seconds: 1))
        _ = m.waited()
        #expect(m.handle(Self.reply(Self.authorization("a.test", "pending"))) == .wait(seconds: 1))
        _ = m.waited()
        guard case .failed(let problem) = m.handle(Self.reply(Self.authorization("a.test", "pending"))) else {
            Issue.record("expected a failure"); return
        }
        #expect(problem.description.contains("gave up after 2 polls"))
    }

    @Test func repliesOutOfTurnAreRefused() {
        var m = Self.machine()
        guard case .failed = m.handle(Self.reply(Self.directory)) else { Issue.record("a reply before start was taken"); return }
        guard case .failed = m.provisioned() else { Issue.record("provisioned out of turn"); return }
    }
}
