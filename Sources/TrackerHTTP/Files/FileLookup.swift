import Foundation

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
        guard var path = resolve(root: root, relativePath: relativePath) else { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                guard let index = options.indexFiles.lazy.map({ path + "/" + $0 }).first(where: isRegularFile) else { return nil }
                path = index
            }
        } else {
            let last = relativePath.split(separator: "/").last ?? ""
            guard let fallback = options.spaFallback, !last.contains("."),
                  let resolved = resolve(root: root, relativePath: fallback), isRegularFile(resolved) else { return nil }
            path = resolved
        }
        guard isRegularFile(path) else { return nil }
        let realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        return Found(path: path, relative: String(path.dropFirst(realRoot.count)),
                     hasCompressedSiblings: options.precompressed && (isRegularFile(path + ".br") || isRegularFile(path + ".gz")))
    }

    static func variant(of file: Found, acceptEncoding: String?, options: FileServingOptions) -> Variant {
        if file.hasCompressedSiblings, let accepted = acceptEncoding.map(acceptedEncodings) {
            for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] where accepted.contains(encoding) {
                if let variant = stat(file.path + suffix, encoding: encoding) { return variant }
            }
        }
        return stat(file.path, encoding: nil) ?? Variant(path: file.path, size: 0, modified: Date(timeIntervalSince1970: 0), encoding: nil)
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

    static func stat(_ path: String, encoding: String?) -> Variant? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        return Variant(path: path, size: size, modified: modified, encoding: encoding)
    }

    static func isRegularFile(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
    }

    /// nil for any path that is not plainly inside the root (`..`, encoded slashes, NUL, symlinks out).
    static func resolve(root: String, relativePath: String) -> String? {
        var parts: [String] = []
        for raw in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            let part = raw.removingPercentEncoding ?? ""
            guard !part.isEmpty, part != "..", part != ".", !part.contains("/"), !part.contains("\\"),
                  !part.contains("\0") else { return nil }
            parts.append(part)
        }
        let realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let real = URL(fileURLWithPath: ([root] + parts).joined(separator: "/")).resolvingSymlinksInPath().path
        guard real == realRoot || real.hasPrefix(realRoot + "/") else { return nil }
        return real
    }
}
