import Foundation
import NIOHTTP1
import TrackerWeb

/// The browser tracker and the generator pages, from the binary:
///
///     /t/<digest>/track.js   immutable: the digest changes with the content
///     /t/track.js            always the current script, cached five minutes
///     /tools/<file>          the generator pages (track_url.html, shorten_url.html) and their scripts
///     /pub/v1/track_url.html, /pub/v1/shorten_url.html   upstream's paths, unless the static
///                            directory has its own copy
public struct WebAssetRoutes: Sendable {
    public init() {}

    public static let trackerPath = "/t/\(WebAssets.tracker.digest)/track.js"

    func response(for request: HTTPRequest, publicRoot: String?) -> HTTPResponse? {
        guard request.method == .GET || request.method == .HEAD else { return nil }
        let path = request.path
        if path == Self.trackerPath {
            return serve(WebAssets.tracker, request, cacheControl: "public, max-age=31536000, immutable")
        }
        if path == "/t/track.js" || path == "/track.js" {
            return serve(WebAssets.tracker, request, cacheControl: "public, max-age=300")
        }
        if path.hasPrefix("/tools/"), let asset = WebAssets.tools[String(path.dropFirst(7))] {
            return serve(asset, request, cacheControl: "public, max-age=300")
        }
        if path == "/pub/v1/track_url.html" || path == "/pub/v1/shorten_url.html" {
            let name = String(path.dropFirst(8))
            if let root = publicRoot, FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(name)) {
                return nil
            }
            return WebAssets.tools[name].map { serve($0, request, cacheControl: "public, max-age=300") }
        }
        return nil
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
