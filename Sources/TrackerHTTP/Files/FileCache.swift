import TrackerCore
import Foundation
import Synchronization

/// Small hot files kept in memory, bounded by total bytes, evicting the least recently used; an
/// entry is valid only while the file's size and modification time are unchanged.
public final class FileCache: Sendable {
    struct Entry {
        let size: Int
        let modified: Date
        let bytes: [UInt8]
        var lastUse: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    public let capacityBytes: Int
    public let maxFileBytes: Int
    let state = Mutex(State())

    public init(capacityBytes: Int = 64 << 20, maxFileBytes: Int = 256 << 10) {
        self.capacityBytes = capacityBytes
        self.maxFileBytes = maxFileBytes
    }

    /// The file's bytes, from memory when unchanged since cached, else read (and cached if small).
    public func bytes(path: String, size: Int, modified: Date) -> [UInt8]? {
        let cached: [UInt8]? = state.withLock { state in
            guard var entry = state.entries[path], entry.size == size, entry.modified == modified else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[path] = entry
            return entry.bytes
        }
        if let cached { return cached }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = Array(data)
        if bytes.count <= maxFileBytes { insert(path, Entry(size: size, modified: modified, bytes: bytes, lastUse: 0)) }
        return bytes
    }

    /// The file gzipped, compressed once per version of the file and kept like the file itself.
    public func gzipped(path: String, size: Int, modified: Date) -> [UInt8]? {
        let key = path + "\u{0}gzip"
        let cached: [UInt8]? = state.withLock { state in
            guard let entry = state.entries[key], entry.size == size, entry.modified == modified else { return nil }
            return entry.bytes
        }
        if let cached { return cached }
        guard let original = bytes(path: path, size: size, modified: modified), let compressed = Gzip.compress(original) else {
            return nil
        }
        insert(key, Entry(size: size, modified: modified, bytes: compressed, lastUse: 0))
        return compressed
    }

    public var usedBytes: Int { state.withLock { $0.bytes } }

    func insert(_ path: String, _ entry: Entry) {
        state.withLock { state in
            state.clock += 1
            var entry = entry
            entry.lastUse = state.clock
            if let old = state.entries[path] { state.bytes -= old.bytes.count }
            state.entries[path] = entry
            state.bytes += entry.bytes.count
            while state.bytes > capacityBytes, let victim = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[victim.key] = nil
                state.bytes -= victim.value.bytes.count
            }
        }
    }
}
