import NIOHTTP1
import TrackerCore
import TrackerTLS

/// The plain listener when HTTPS is on: ACME's HTTP-01 answers, and for everything else a 308 to
/// the same host and URI on the HTTPS port (308 keeps the method and body of a tracking POST).
/// The port is left out only when it is 443, so a custom port gives a working URL (upstream's
/// `https://host:https/...` bug).
public struct HTTPSRedirect: HTTPResponder {
    let challenges: HTTPChallengeResponses
    /// The HTTPS port clients reach (known only once bound when configured as 0).
    let port: @Sendable () -> Int

    public init(challenges: HTTPChallengeResponses, port: @escaping @Sendable () -> Int) {
        self.challenges = challenges
        self.port = port
    }

    public func proxyDecision(for head: HTTPRequestHead, peerIP: String?, secure: Bool) -> ProxyDecision? {
        .answer(answer(uri: head.uri, host: head.headers.first(name: "host")))
    }

    public func respond(to request: HTTPRequest, _ respond: @escaping @Sendable (HTTPResponse) -> Void) {
        respond(answer(uri: request.uri, host: request.headers.first(name: "host")))
    }

    func answer(uri: String, host: String?) -> HTTPResponse {
        let path = HTTPRequest.split(uri).path
        if let answer = Self.challengeAnswer(path: path, challenges) { return answer }
        let name = HTTPRequest.hostName(host)
        guard !name.isEmpty, name.utf8.allSatisfy(Self.hostByte), uri.hasPrefix("/") else {
            return .error(.badRequest, "this port only redirects to HTTPS, and the request has no usable Host")
        }
        let port = self.port()
        let authority = (name.contains(":") ? "[\(name)]" : name) + (port == 443 ? "" : ":\(port)")
        var response = HTTPResponse.text(.permanentRedirect, "Moved to HTTPS\n")
        response.headers.add(name: "location", value: "https://\(authority)\(uri)")
        return response
    }

    /// ACME's HTTP-01: the key authorization of a pending token, 404 for any other token, nil
    /// for paths outside `/.well-known/acme-challenge/`.
    static func challengeAnswer(path: String, _ challenges: HTTPChallengeResponses) -> HTTPResponse? {
        guard path.hasPrefix(HTTPChallengeResponses.pathPrefix) else { return nil }
        guard let keyAuthorization = challenges.response(forPath: path) else { return .error(.notFound, "no such challenge") }
        return HTTPResponse(status: .ok, headers: ["content-type": "application/octet-stream"], body: Array(keyAuthorization.utf8))
    }

    static func hostByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ":")
    }
}
