import Crypto
import TrackerCore

/// One embedded file of `web/`, ready to serve: bytes, a gzip of them, and a strong validator.
public struct WebAsset: Sendable {
    public let bytes: [UInt8]
    public let gzipped: [UInt8]
    public let contentType: String
    /// Hex of the first 8 bytes of the content's SHA-256: the ETag and the tracker's version path.
    public let digest: String

    init(_ bytes: [UInt8], contentType: String, minify: Bool = false) {
        let content = minify ? Self.minified(bytes) : bytes
        self.bytes = content
        self.gzipped = Gzip.compress(content, level: 9) ?? content
        self.contentType = contentType
        digest = Hashing.hex(SHA256.hash(data: content).prefix(8))
    }

    /// Leading indentation and whole-line `/* ... */` comments removed; line breaks kept, so the
    /// script's meaning cannot change (no reliance on semicolon insertion).
    static func minified(_ bytes: [UInt8]) -> [UInt8] {
        var out: [String] = []
        var inComment = false
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if inComment || trimmed.hasPrefix("/*") {
                inComment = !trimmed.contains("*/")
                continue
            }
            out.append(String(trimmed))
        }
        return Array((out.joined(separator: "\n") + "\n").utf8)
    }
}

/// The browser tracker (`web/tracker/`) and the generator pages (`web/tools/`), embedded in the
/// binary so a copied executable serves them.
public enum WebAssets {
    public static let tracker = WebAsset(PackageResources.track_js, contentType: "text/javascript; charset=utf-8", minify: true)

    /// The generator pages and their scripts, by file name.
    public static let tools: [String: WebAsset] = [
        "track_url.html": WebAsset(PackageResources.track_url_html, contentType: "text/html; charset=utf-8"),
        "shorten_url.html": WebAsset(PackageResources.shorten_url_html, contentType: "text/html; charset=utf-8"),
        "generator.js": WebAsset(PackageResources.generator_js, contentType: "text/javascript; charset=utf-8"),
        "qr.js": WebAsset(PackageResources.qr_js, contentType: "text/javascript; charset=utf-8"),
        "tools.css": WebAsset(PackageResources.tools_css, contentType: "text/css; charset=utf-8"),
    ]
}
