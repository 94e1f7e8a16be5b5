import NIOHTTP1

/// Upstream's CORS answers (spec §2.1), without its `*`-with-credentials bug: an allowed origin is
/// echoed back with `Vary: Origin`, so credentialed requests (cookies) work in browsers.
public struct CORSPolicy: Sendable, Equatable {
    public var allowedOrigins: [String] {
        didSet { allowsAny = allowedOrigins.contains("*") }
    }

    /// `*` is among the origins: kept, as every answer asks (the list was searched each time).
    private(set) var allowsAny: Bool

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = allowedOrigins
        allowsAny = allowedOrigins.contains("*")
    }

    public func allows(_ origin: String) -> Bool {
        allowsAny || allowedOrigins.contains { $0.caseInsensitiveCompare(origin) == .orderedSame }
    }

    /// Headers for an actual (non-preflight) response.
    public func headers(origin: String?, into headers: inout HTTPHeaders) {
        add(origin: origin, to: &headers)
    }

    func headers(origin: String?, into writer: inout HeadWriter) {
        add(origin: origin, to: &writer)
    }

    func add<Sink: HeaderSink>(origin: String?, to headers: inout Sink) {
        if let origin, allows(origin) {
            headers.set(name: "access-control-allow-origin", value: origin)
            headers.set(name: "access-control-allow-credentials", value: "true")
            headers.add(name: "vary", value: "Origin")
        } else if origin == nil, allowsAny {
            headers.set(name: "access-control-allow-origin", value: "*")
        }
    }

    public func preflight(origin: String?) -> HTTPResponse {
        var response = HTTPResponse(status: .ok)
        headers(origin: origin, into: &response.headers)
        response.headers.add(name: "access-control-allow-headers", value: "Authorization,Accept,User,Content-Type,X-CSRFToken")
        response.headers.add(name: "access-control-allow-methods", value: "GET,POST,HEAD,PUT,DELETE")
        response.headers.add(name: "access-control-max-age", value: "1728000")
        return response
    }
}

import Foundation
