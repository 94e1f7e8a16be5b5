import Foundation
import NIOHTTP1
import TrackerWeb

/// The browser tracker and the generator pages, from the binary:
///
///     /t/<digest>/track.js   immutable: the digest changes with the content
///     /t/track.js            always the current script, cached five minutes
///     /tools/<file>          the generator pages (track_url.html, shorten_url.html) and their scripts
///
/// Upstream's `/pub/v1/track_url.html` and `/pub/v1/shorten_url.html` are tracked `/pub/` hits
/// like any file there; `TrackingRoutes` falls back to `upstreamPage` when the static directory has
/// no copy of its own.
public struct WebAssetRoutes: Sendable {
    public init() {}

    public static let trackerPath = "/t/\(WebAssets.tracker.digest)/track.js"

    func response(for request: HTTPRequest) -> HTTPResponse? {
        guard let (asset, cacheControl) = asset(for: request) else { return nil }
        return serve(asset, request, cacheControl: cacheControl)
    }

    /// Whether `response(for:)` answers this request (from memory).
    func serves(_ request: HTTPRequest) -> Bool { asset(for: request) != nil }

    func asset(for request: HTTPRequest) -> (WebAsset, cacheControl: String)? {
        guard request.method == .GET || request.method == .HEAD else { return nil }
        let path = request.path
        if path == Self.trackerPath { return (WebAssets.tracker, "public, max-age=31536000, immutable") }
        if path == "/t/track.js" || path == "/track.js" { return (WebAssets.tracker, "public, max-age=300") }
        if path.hasPrefix("/tools/"), let asset = WebAssets.tools[String(path.dropFirst(7))] { return (asset, "public, max-age=300") }
        return nil
    }

    /// A generator page asked for under `/pub/v1/` (`file` is the path after it) when the static
    /// directory at `publicRoot` has no file of that name.
    func upstreamPage(_ file: String, _ request: HTTPRequest, publicRoot: String) -> HTTPResponse? {
        let name = file.hasPrefix("/") ? String(file.dropFirst()) : file
        guard name == "track_url.html" || name == "shorten_url.html", let asset = WebAssets.tools[name],
              !FileManager.default.fileExists(atPath: (publicRoot as NSString).appendingPathComponent(name)) else { return nil }
        return serve(asset, request, cacheControl: "public, max-age=300")
    }

    func serve(_ asset: WebAsset, _ request: HTTPRequest, cacheControl: String) -> HTTPResponse {
        let etag = "\"\(asset.digest)\""
        var headers: HTTPHeaders = ["cache-control": cacheControl, "etag": etag, "vary": "Accept-Encoding",
                                    "x-content-type-options": "nosniff"]
        if let match = request.headers.first(name: "if-none-match"), match.contains(etag) || match == "*" {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "content-type", value: asset.contentType)
        headers.add(name: "access-control-allow-origin", value: "*")
        let gzip = request.headers.first(name: "accept-encoding").map(FileLookup.acceptedEncodings)?.contains("gzip") ?? false
        if gzip { headers.add(name: "content-encoding", value: "gzip") }
        // HEAD: the handler sends the length of this body and not the body.
        return HTTPResponse(status: .ok, headers: headers, body: gzip ? asset.gzipped : asset.bytes)
    }
}
