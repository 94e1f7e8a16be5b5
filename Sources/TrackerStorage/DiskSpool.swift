import Foundation
import Synchronization
import TrackerCore

/// Where a sink's delivery stands in the spool.
public struct SpoolCursor: Sendable, Equatable, Comparable {
    public var segment: Int
    public var offset: Int

    public init(segment: Int, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: SpoolCursor, b: SpoolCursor) -> Bool {
        (a.segment, a.offset) < (b.segment, b.offset)
    }
}

/// The local durable log in front of a remote store: append-only segment files of CRC-framed
/// records (`length`, `crc32`, event JSON). As the ingest queue's sink it is the ack point (one
/// `fdatasync` per batch); a `SpoolDelivery` moves what it holds to the store, keeping a cursor.
/// A torn tail left by a crash is cut off at start. Past `maxBytes` appends fail as `.full`.
public final class DiskSpool: BlockingEventSink {
    struct State {
        var segments: [Int: Int] = [:]   // segment number → durable size
        var current = 1
        var fd: Int32 = -1
    }

    public let directory: String
    public let maxBytes: Int
    let segmentBytes: Int
    let state = Mutex(State())

    public init(directory: String, maxBytes: Int = 1 << 30, segmentBytes: Int = 64 << 20) throws(StorageError) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unavailable("cannot create the spool at \(directory): \(error)")
        }
        var recovered = State()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".seg") {
            guard let number = Int(name.dropLast(4)) else { continue }
            recovered.segments[number] = try Self.validLength(path(number))
        }
        recovered.current = recovered.segments.keys.max() ?? 1
        let fd = open(path(recovered.current), O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .unavailable("cannot open the spool segment \(recovered.current)") }
        let end = recovered.segments[recovered.current] ?? 0
        // Cut a torn tail: what follows the last whole record was never acknowledged.
        guard ftruncate(fd, off_t(end)) == 0, lseek(fd, off_t(end), SEEK_SET) >= 0 else {
            close(fd)
            throw .unavailable("cannot recover the spool segment \(recovered.current)")
        }
        recovered.segments[recovered.current] = end
        recovered.fd = fd
        state.withLock { $0 = recovered }
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    func path(_ segment: Int) -> String {
        (directory as NSString).appendingPathComponent(String(format: "%016d.seg", segment))
    }

    public func append(_ events: [Event]) async throws(StorageError) {
        try appendBlocking(events)
    }

    /// Appends and fsyncs; returns only once the events are on disk.
    public func appendBlocking(_ events: [Event]) throws(StorageError) {
        var frames: [UInt8] = []
        for event in events {
            let payload = EventCodec.encode(event)
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frames.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32.checksum(payload).littleEndian) { frames.append(contentsOf: $0) }
            frames.append(contentsOf: payload)
        }
        try state.withLock { (state) throws(StorageError) in
            let total = state.segments.values.reduce(0, +)
            guard total + frames.count <= maxBytes else {
                throw .full("the spool holds \(total) bytes, its limit is \(maxBytes)")
            }
            if (state.segments[state.current] ?? 0) + frames.count > segmentBytes, (state.segments[state.current] ?? 0) > 0 {
                try rotate(&state)
            }
            var written = 0
            while written < frames.count {
                let n = frames[written...].withUnsafeBytes { write(state.fd, $0.baseAddress, $0.count) }
                if n > 0 { written += n } else if errno != EINTR {
                    let end = state.segments[state.current] ?? 0
                    _ = ftruncate(state.fd, off_t(end))
                    _ = lseek(state.fd, off_t(end), SEEK_SET)
                    throw errno == ENOSPC ? .full("the disk is full") : .unavailable("spool write failed: errno \(errno)")
                }
            }
            guard fdatasync(state.fd) == 0 else { throw .unavailable("spool fsync failed: errno \(errno)") }
            state.segments[state.current, default: 0] += frames.count
        }
    }

    func rotate(_ state: inout State) throws(StorageError) {
        let next = state.current + 1
        let fd = open(path(next), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .unavailable("cannot open the spool segment \(next)") }
        close(state.fd)
        state.fd = fd
        state.current = next
        state.segments[next] = 0
    }

    /// Up to `maxEvents` durable events after `cursor`, and the cursor after them.
    public func read(after cursor: SpoolCursor, maxEvents: Int) throws(StorageError) -> (events: [Event], next: SpoolCursor) {
        let segments = state.withLock { $0.segments }
        var cursor = cursor
        if segments[cursor.segment] == nil, let first = segments.keys.filter({ $0 > cursor.segment }).min() {
            cursor = SpoolCursor(segment: first, offset: 0)
        }
        var events: [Event] = []
        while events.count < maxEvents, let end = segments[cursor.segment] {
            if cursor.offset >= end {
                guard let next = segments.keys.filter({ $0 > cursor.segment }).min() else { break }
                cursor = SpoolCursor(segment: next, offset: 0)
                continue
            }
            let bytes = try Self.readRange(path(cursor.segment), from: cursor.offset, to: end)
            var position = 0
            while events.count < maxEvents, position + 8 <= bytes.count {
                let length = Int(Self.uint32(bytes, position))
                let crc = Self.uint32(bytes, position + 4)
                guard position + 8 + length <= bytes.count else { break }
                let payload = Array(bytes[(position + 8)..<(position + 8 + length)])
                guard CRC32.checksum(payload) == crc, let event = EventCodec.decode(payload) else {
                    throw .invalid("corrupt spool record in segment \(cursor.segment) at \(cursor.offset + position)")
                }
                events.append(event)
                position += 8 + length
            }
            cursor.offset += position
        }
        return (events, cursor)
    }

    /// Bytes not yet delivered past `cursor`.
    public func pendingBytes(after cursor: SpoolCursor) -> Int {
        state.withLock { state in
            state.segments.reduce(0) { total, entry in
                if entry.key > cursor.segment { return total + entry.value }
                if entry.key == cursor.segment { return total + max(0, entry.value - cursor.offset) }
                return total
            }
        }
    }

    /// Deletes segments wholly before `cursor` (every sink has them).
    public func release(before cursor: SpoolCursor) {
        let doomed: [Int] = state.withLock { state in
            let old = state.segments.keys.filter { $0 < cursor.segment && $0 != state.current }
            for number in old { state.segments[number] = nil }
            return old
        }
        for number in doomed { unlink(path(number)) }
    }

    static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    static func readRange(_ path: String, from start: Int, to end: Int) throws(StorageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unavailable("cannot read the spool segment \(path)") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: end - start)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(start + done)) }
            if n > 0 { done += n } else if n == 0 || errno != EINTR { break }
        }
        return Array(bytes.prefix(done))
    }

    /// The length of the whole, valid records at the start of a segment.
    static func validLength(_ path: String) throws(StorageError) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let bytes = try readRange(path, from: 0, to: size)
        var position = 0
        while position + 8 <= bytes.count {
            let length = Int(uint32(bytes, position))
            guard position + 8 + length <= bytes.count,
                  CRC32.checksum(bytes[(position + 8)..<(position + 8 + length)]) == uint32(bytes, position + 4) else { break }
            position += 8 + length
        }
        return position
    }
}
