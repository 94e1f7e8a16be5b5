import TrackerCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves files from a document root, nginx-style: safe path resolution, index files, SPA
/// fallback, `ETag`/`Last-Modified` with conditional requests (304), `Range` (206/416), precompressed
/// `.br`/`.gz` siblings, `Cache-Control` by path, small hot files from memory and large ones by
/// `sendfile`. File system calls run on a thread pool, never on an event loop.
public final class StaticFileServer: Sendable {
    let pool: NIOThreadPool
    public let cache: FileCache
    let hot = HotFileResponses()

    public init(pool: NIOThreadPool, cache: FileCache = FileCache()) {
        self.pool = pool
        self.cache = cache
    }

    public func respond(root: String, relativePath: String, request: HTTPRequest, options: FileServingOptions,
                        _ respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let key = HotFileResponses.key(root: root, path: relativePath, headers: request.headers)
        if let hotResponse = hot.response(for: key, headers: request.headers) { return respond(hotResponse) }
        pool.submit { [self] state in
            guard state == .active else { return respond(.error(.serviceUnavailable, "shutting down")) }
            let answer = response(root: root, relativePath: relativePath, request: request, options: options)
            if request.headers.first(name: "range") == nil, request.headers.first(name: "if-none-match") == nil,
               request.headers.first(name: "if-modified-since") == nil {
                hot.store(answer, for: key)
            }
            respond(answer)
        }
    }

    /// The answer for one request; blocking (file system calls).
    public func response(root: String, relativePath: String, request: HTTPRequest, options: FileServingOptions) -> HTTPResponse {
        guard let file = FileLookup.find(root: root, relativePath: relativePath, options: options) else {
            return .error(.notFound, "not found")
        }
        let acceptEncoding = request.headers.first(name: "accept-encoding")
        let variant = FileLookup.variant(of: file, acceptEncoding: acceptEncoding, options: options)
        let contentType = MediaTypes.type(forPath: file.path)
        let compressible = options.compress && !file.hasCompressedSiblings && Gzip.isCompressible(contentType)
            && (1024...cache.maxFileBytes).contains(variant.size)
        let gzip = compressible && request.headers.first(name: "range") == nil
            && acceptEncoding.map(FileLookup.acceptedEncodings)?.contains("gzip") == true
        let etag = gzip ? String(variant.etag.dropLast()) + "-gzip\"" : variant.etag
        var headers: HTTPHeaders = [
            "content-type": contentType,
            "last-modified": HTTPDate.format(variant.modified),
            "etag": etag,
            "cache-control": options.cacheControl.value(for: file.relative),
            "accept-ranges": "bytes",
            "x-content-type-options": "nosniff",
        ]
        if let encoding = variant.encoding ?? (gzip ? "gzip" : nil) { headers.add(name: "content-encoding", value: encoding) }
        if file.hasCompressedSiblings || compressible { headers.add(name: "vary", value: "Accept-Encoding") }
        if Conditional.notModified(request.headers, etag: etag, modified: variant.modified) {
            headers.remove(name: "content-type")
            return HTTPResponse(status: .notModified, headers: headers)
        }
        if gzip, let compressed = cache.gzipped(path: variant.path, size: variant.size, modified: variant.modified) {
            headers.remove(name: "accept-ranges")
            return HTTPResponse(status: .ok, headers: headers, body: compressed)
        }
        var range = ByteRange.parse(request.headers.first(name: "range"), size: variant.size)
        if !Conditional.rangeApplies(request.headers, etag: variant.etag, modified: variant.modified) { range = .whole }
        switch range {
        case .unsatisfiable:
            headers.add(name: "content-range", value: "bytes */\(variant.size)")
            return HTTPResponse(status: .rangeNotSatisfiable, headers: headers)
        case .whole:
            return body(variant, offset: 0, length: variant.size, status: .ok, headers: headers)
        case .partial(let offset, let length):
            headers.add(name: "content-range", value: "bytes \(offset)-\(offset + length - 1)/\(variant.size)")
            return body(variant, offset: offset, length: length, status: .partialContent, headers: headers)
        }
    }

    func body(_ variant: FileLookup.Variant, offset: Int, length: Int, status: HTTPResponseStatus, headers: HTTPHeaders) -> HTTPResponse {
        if variant.size <= cache.maxFileBytes, let bytes = cache.bytes(path: variant.path, size: variant.size, modified: variant.modified) {
            return HTTPResponse(status: status, headers: headers, body: Array(bytes[offset..<min(bytes.count, offset + length)]))
        }
        guard let handle = try? NIOFileHandle(_deprecatedPath: variant.path) else { return .error(.notFound, "not found") }
        var response = HTTPResponse(status: status, headers: headers)
        response.file = FileBody(handle: handle, offset: offset, length: length)
        return response
    }
}
