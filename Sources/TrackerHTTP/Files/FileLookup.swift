import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finding the file for a request path, and the encoded variant to send.
enum FileLookup {
    struct Found {
        let path: String
        /// The path of the file under the root (`/index.html` for a request of `/`).
        let relative: String
        let hasCompressedSiblings: Bool
    }

    struct Variant {
        let path: String
        let size: Int
        let modified: Date
        let encoding: String?

        /// Strong validator from size and modification time (and the encoding: each variant differs).
        var etag: String {
            let nanos = UInt64(max(0, modified.timeIntervalSince1970 * 1e9))
            return "\"\(String(size, radix: 16))-\(String(nanos, radix: 16))\(encoding.map { "-" + $0 } ?? "")\""
        }
    }

    static func find(root: String, relativePath: String, options: FileServingOptions) -> Found? {
        guard let realRoot = realPath(root), var path = resolve(realRoot: realRoot, relativePath: relativePath) else { return nil }
        if let kind = fileKind(path) {
            if kind == S_IFDIR {
                guard let index = options.indexFiles.lazy.map({ path + "/" + $0 }).first(where: isRegularFile) else { return nil }
                path = index
            }
        } else {
            let last = relativePath.split(separator: "/").last ?? ""
            guard let fallback = options.spaFallback, !last.contains("."),
                  let resolved = resolve(realRoot: realRoot, relativePath: fallback), isRegularFile(resolved) else { return nil }
            path = resolved
        }
        guard isRegularFile(path) else { return nil }
        return Found(path: path, relative: String(path.dropFirst(realRoot.count)),
                     hasCompressedSiblings: options.precompressed && (isRegularFile(path + ".br") || isRegularFile(path + ".gz")))
    }

    static func variant(of file: Found, acceptEncoding: String?, options: FileServingOptions) -> Variant {
        if file.hasCompressedSiblings, let accepted = acceptEncoding.map(acceptedEncodings) {
            for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] where accepted.contains(encoding) {
                if let variant = describe(file.path + suffix, encoding: encoding) { return variant }
            }
        }
        return describe(file.path, encoding: nil) ?? Variant(path: file.path, size: 0, modified: Date(timeIntervalSince1970: 0), encoding: nil)
    }

    /// Codings with a non-zero quality.
    static func acceptedEncodings(_ header: String) -> Set<String> {
        Set(header.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first?.lowercased(), !name.isEmpty else { return nil }
            if parts.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "").hasPrefix("q=0") && !$0.contains("q=0.") }) {
                return nil
            }
            return name
        })
    }

    static func describe(_ path: String, encoding: String?) -> Variant? {
        var info = Glibc.stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return Variant(path: path, size: Int(info.st_size), modified: modified, encoding: encoding)
    }

    /// `S_IFREG`, `S_IFDIR`... of what `path` points to; nil when nothing is there.
    static func fileKind(_ path: String) -> mode_t? {
        var info = Glibc.stat()
        return stat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    static func isRegularFile(_ path: String) -> Bool {
        fileKind(path) == S_IFREG
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// nil for any path that is not plainly inside the root (`..`, encoded slashes, NUL, symlinks out).
    static func resolve(realRoot: String, relativePath: String) -> String? {
        var parts: [String] = []
        for raw in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            let part = raw.removingPercentEncoding ?? ""
            guard !part.isEmpty, part != "..", part != ".", !part.contains("/"), !part.contains("\\"),
                  !part.contains("\0") else { return nil }
            parts.append(part)
        }
        let candidate = ([realRoot] + parts).joined(separator: "/")
        // A missing file cannot point out of the root; an existing one is checked after links.
        guard let real = realPath(candidate) else { return fileKind(candidate) == nil ? candidate : nil }
        guard real == realRoot || real.hasPrefix(realRoot + "/") else { return nil }
        return real
    }
}
