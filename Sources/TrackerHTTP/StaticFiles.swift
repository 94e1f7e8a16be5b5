import Foundation
import NIOHTTP1
import NIOPosix

/// Files under `/pub/v1/` from the static directory: no path can leave the root (`..`, encoded
/// slashes, symlinks pointing out), no directory listings, `index.html` for directories, conditional
/// GET by `Last-Modified`. Reads happen on a thread pool, never on an event loop. The full edge file
/// server (ranges, compression, caching) builds on this later.
public struct StaticFiles: Sendable {
    public let root: String
    let pool: NIOThreadPool
    static let maxFileBytes = 32 * 1024 * 1024

    public init(root: String, pool: NIOThreadPool) {
        self.root = (root as NSString).standardizingPath
        self.pool = pool
    }

    public func respond(relativePath: String, headers: HTTPHeaders, _ respond: @escaping @Sendable (HTTPResponse) -> Void) {
        let root = self.root
        pool.submit { state in
            guard state == .active else { return respond(.error(.serviceUnavailable, "shutting down")) }
            respond(Self.load(root: root, relativePath: relativePath, ifModifiedSince: headers.first(name: "if-modified-since")))
        }
    }

    /// nil for any path that is not plainly inside the root.
    public static func resolve(root: String, relativePath: String) -> String? {
        var parts: [String] = []
        for raw in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            let part = raw.removingPercentEncoding ?? ""
            guard !part.isEmpty, part != "..", part != ".", !part.contains("/"), !part.contains("\\"),
                  !part.contains("\0") else { return nil }
            parts.append(part)
        }
        let candidate = ([root] + parts).joined(separator: "/")
        let realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let real = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
        guard real == realRoot || real.hasPrefix(realRoot + "/") else { return nil }
        return real
    }

    static func load(root: String, relativePath: String, ifModifiedSince: String?) -> HTTPResponse {
        guard var path = resolve(root: root, relativePath: relativePath) else {
            return .error(.notFound, "not found")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .error(.notFound, "not found")
        }
        if isDirectory.boolValue {
            path += "/index.html"
            guard FileManager.default.fileExists(atPath: path) else { return .error(.notFound, "not found") }
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else {
            return .error(.notFound, "not found")
        }
        guard size <= maxFileBytes else { return .error(.payloadTooLarge, "file too large for /pub/") }
        let lastModified = HTTPDate.format(modified)
        if let since = ifModifiedSince, let sinceDate = HTTPDate.parse(since),
           floor(modified.timeIntervalSince1970) <= sinceDate.timeIntervalSince1970 {
            return HTTPResponse(status: .notModified, headers: ["last-modified": lastModified])
        }
        guard let data = FileManager.default.contents(atPath: path) else { return .error(.notFound, "not found") }
        return HTTPResponse(status: .ok, headers: [
            "content-type": MediaTypes.type(forPath: path),
            "last-modified": lastModified,
            "x-content-type-options": "nosniff",
        ], body: Array(data))
    }
}

enum HTTPDate {
    static func formatter() -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }

    static func format(_ date: Date) -> String { formatter().string(from: date) }
    static func parse(_ text: String) -> Date? { formatter().date(from: text) }
}

enum MediaTypes {
    static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json",
        "txt": "text/plain; charset=utf-8", "xml": "application/xml", "svg": "image/svg+xml", "png": "image/png",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif",
        "ico": "image/x-icon", "pdf": "application/pdf", "zip": "application/zip", "wasm": "application/wasm",
        "woff": "font/woff", "woff2": "font/woff2", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg",
        "csv": "text/csv; charset=utf-8", "map": "application/json",
    ]

    static func type(forPath path: String) -> String {
        byExtension[(path as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
    }
}
