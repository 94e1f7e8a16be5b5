/// How a document root is served.
public struct FileServingOptions: Sendable {
    /// Tried in order for a directory.
    public var indexFiles: [String]
    /// Served for a missing path that has no file extension (a single-page app's client routes).
    public var spaFallback: String?
    public var cacheControl: CacheControlRules
    /// Serve `name.br` / `name.gz` next to `name` to clients that accept them.
    public var precompressed: Bool
    /// gzip text files of 1 KiB to the cache's file limit on the fly (compressed once, kept in the
    /// memory cache) for clients that accept it, when there is no precompressed sibling.
    public var compress: Bool

    public init(indexFiles: [String] = ["index.html"], spaFallback: String? = nil,
                cacheControl: CacheControlRules = CacheControlRules(), precompressed: Bool = true, compress: Bool = true) {
        self.compress = compress
        self.indexFiles = indexFiles
        self.spaFallback = spaFallback
        self.cacheControl = cacheControl
        self.precompressed = precompressed
    }
}
