import Foundation
import NIOHTTP1

extension AccessLog {
    /// Records an answered request, whichever path served it (NIO's handler, a proxied exchange,
    /// a direct lane).
    func record(_ request: HTTPRequestHead, remote: String?, status: Int, bytes: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        record(Entry(
            remote: remote ?? "-", time: Date(), method: request.method.rawValue,
            uri: request.uri, version: "HTTP/\(request.version.major).\(request.version.minor)", status: status, bytes: bytes,
            referer: request.headers.first(name: "referer"), userAgent: request.headers.first(name: "user-agent"),
            milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15))
    }
}
