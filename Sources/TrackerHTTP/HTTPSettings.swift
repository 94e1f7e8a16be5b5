import Foundation
import TrackerCore

/// What the HTTP layer needs from the configuration, already validated.
public struct HTTPSettings: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8080
    public var apiVersion: Int = 1
    public var maximumConnections: Int = 150_000
    public var maxBodyBytes: Int = 64 * 1024
    public var maxHeaderBytes: Int = 64 * 1024
    public var idleTimeout: TimeAmountSeconds = 20
    public var cors = CORSPolicy(allowedOrigins: ["*"])
    public var trustedProxies: [IPNetwork] = []
    public var redirects = RedirectPolicy(defaultRedirect: "/", allowedHosts: [])
    public var staticDirectory: String? = "public"
    public var cookieMaxAgeSeconds: Int = 400 * 24 * 3600
    public var cookieDomain: String? = nil
    public var debug = false
    public var version = "dev"

    public init() {}
}

public typealias TimeAmountSeconds = Double
