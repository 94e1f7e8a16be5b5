import TrackerCore

extension Gzip {
    /// Content types worth compressing (already-compressed images, fonts and archives are not).
    static func isCompressible(_ contentType: String) -> Bool {
        contentType.hasPrefix("text/") || contentType.hasPrefix("application/json") || contentType.hasPrefix("application/xml")
            || contentType.hasPrefix("image/svg") || contentType.hasPrefix("application/manifest") || contentType.hasPrefix("application/wasm")
    }
}
