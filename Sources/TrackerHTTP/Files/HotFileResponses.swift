import Dispatch
import NIOHTTP1
import Synchronization

/// Recently built 200 answers for small files, reused for `validity` seconds without touching the
/// file system (nginx's `open_file_cache_valid`), so a hot file is served on the event loop with no
/// thread hop. Conditional requests are answered from the stored validators; ranges go the slow way.
final class HotFileResponses: Sendable {
    struct Key: Hashable {
        let root: String
        let path: String
        /// Which precompressed variants the client accepts: "", "gzip", "br", "br,gzip".
        let encodings: String
    }

    struct Entry {
        let response: HTTPResponse
        let etag: String
        let lastModified: String
        let storedAt: UInt64
    }

    let validityNanoseconds: UInt64
    let maxEntries: Int
    let entries = Mutex<[Key: Entry]>([:])

    init(validity: Double = 1, maxEntries: Int = 4096) {
        self.validityNanoseconds = UInt64(validity * 1e9)
        self.maxEntries = maxEntries
    }

    static func key(root: String, path: String, headers: HTTPHeaders) -> Key {
        let accepted = headers.first(name: "accept-encoding").map(FileLookup.acceptedEncodings) ?? []
        let encodings = ["br", "gzip"].filter(accepted.contains).joined(separator: ",")
        return Key(root: root, path: path, encodings: encodings)
    }

    /// The answer for a fresh entry, or nil (missing, stale, or a range request).
    func response(for key: Key, headers: HTTPHeaders) -> HTTPResponse? {
        guard headers.first(name: "range") == nil else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        guard let entry = entries.withLock({ $0[key] }), now &- entry.storedAt < validityNanoseconds else { return nil }
        if let match = headers.first(name: "if-none-match") {
            return Conditional.tags(match).contains(Conditional.weak(entry.etag)) || match == "*" ? notModified(entry) : entry.response
        }
        if let since = headers.first(name: "if-modified-since") {
            return since == entry.lastModified ? notModified(entry) : nil
        }
        return entry.response
    }

    func store(_ response: HTTPResponse, for key: Key) {
        guard response.status == .ok, response.file == nil, let etag = response.headers.first(name: "etag"),
              let lastModified = response.headers.first(name: "last-modified") else { return }
        let entry = Entry(response: response, etag: etag, lastModified: lastModified, storedAt: DispatchTime.now().uptimeNanoseconds)
        entries.withLock { entries in
            if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }

    func notModified(_ entry: Entry) -> HTTPResponse {
        var headers = entry.response.headers
        headers.remove(name: "content-type")
        return HTTPResponse(status: .notModified, headers: headers)
    }
}
