/// The RFC 8555 objects this client reads (only the fields it uses; servers add more).
public struct ACMEDirectory: Codable, Sendable, Equatable {
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    public var meta: Meta?

    public struct Meta: Codable, Sendable, Equatable {
        public var termsOfService: String?
    }
}

public struct ACMEIdentifier: Codable, Sendable, Equatable {
    public var type: String
    public var value: String

    public static func dns(_ name: String) -> ACMEIdentifier { ACMEIdentifier(type: "dns", value: name) }
}

public struct ACMEOrder: Codable, Sendable, Equatable {
    /// pending, ready, processing, valid or invalid.
    public var status: String
    public var identifiers: [ACMEIdentifier]
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
}

public struct ACMEAuthorization: Codable, Sendable, Equatable {
    /// pending, valid, invalid, deactivated, expired or revoked.
    public var status: String
    public var identifier: ACMEIdentifier
    public var challenges: [ACMEChallenge]
    public var wildcard: Bool?
}

public struct ACMEChallenge: Codable, Sendable, Equatable {
    public var type: String
    public var url: String
    public var status: String
    public var token: String?
    public var error: ACMEProblem?
}

/// An RFC 7807 problem document, as ACME servers send errors.
public struct ACMEProblem: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var type: String
    public var detail: String?
    public var status: Int?
    public var subproblems: [ACMEProblem]?

    public init(type: String, detail: String? = nil, status: Int? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
    }

    public var description: String {
        let short = type.replacingOccurrences(of: "urn:ietf:params:acme:error:", with: "")
        var text = detail.map { "\(short): \($0)" } ?? short
        if let subproblems, !subproblems.isEmpty { text += " (" + subproblems.map(\.description).joined(separator: "; ") + ")" }
        return text
    }

    public var isBadNonce: Bool { type == "urn:ietf:params:acme:error:badNonce" }
}
