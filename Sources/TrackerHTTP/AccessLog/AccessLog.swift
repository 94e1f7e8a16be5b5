import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TrackerCore

/// One line per answered request, nginx-style (`combined`) or as JSON, buffered in memory and
/// written by `flush()` (every second by `AccessLogService`, at 64 KiB, and at shutdown), so a
/// request never waits for a write.
public final class AccessLog: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case combined, json
    }

    public struct Entry: Sendable {
        public var remote: String
        public var time: Date
        public var method: String
        public var uri: String
        public var version: String
        public var status: Int
        public var bytes: Int
        public var referer: String?
        public var userAgent: String?
        public var milliseconds: Double
    }

    let format: Format
    /// The file, or nil for stdout.
    let path: String?
    /// Changes when the file is reopened (log rotation); guarded with the buffer.
    let output: Mutex<Int32>
    let buffer = Mutex<[UInt8]>([])
    static let flushThreshold = 64 << 10

    /// `path` is a file (appended to, created 0640) or `stdout`.
    public init(path: String, format: Format) throws {
        self.format = format
        if path == "stdout" {
            self.path = nil
            output = Mutex(STDOUT_FILENO)
        } else {
            self.path = path
            output = Mutex(try Self.open(path))
        }
    }

    static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        return fd
    }

    deinit {
        if path != nil { close(output.withLock { $0 }) }
    }

    /// After logrotate moved the file away (SIGHUP): what is buffered goes to the old file, then
    /// lines go to a new file at the configured path. A file that cannot be opened keeps the old.
    public func reopen() throws {
        guard let path else { return }
        flush()
        let fresh = try Self.open(path)
        let old = output.withLock { fd in
            defer { fd = fresh }
            return fd
        }
        close(old)
    }

    public func record(_ entry: Entry) {
        let line = Array((format == .json ? Self.json(entry) : Self.combined(entry)).utf8) + [0x0A]
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: line)
            return buffer.count >= Self.flushThreshold
        }
        if full { flush() }
    }

    public func flush() {
        let pending = buffer.withLock { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        output.withLock { fd in
            var written = 0
            while written < pending.count {
                let n = pending[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n > 0 { written += n } else if errno != EINTR { break }
            }
        }
    }

    static func combined(_ e: Entry) -> String {
        "\(e.remote) - - [\(timeLocal(e.time))] \"\(escape(e.method)) \(escape(e.uri)) \(e.version)\" \(e.status) \(e.bytes) "
            + "\"\(escape(e.referer ?? "-"))\" \"\(escape(e.userAgent ?? "-"))\""
    }

    static func json(_ e: Entry) -> String {
        JSONWriter.serialize(.object([
            "ts": .string(Timestamp.format(e.time)), "remote": .string(e.remote), "method": .string(e.method),
            "uri": .string(e.uri), "proto": .string(e.version), "status": .number(Double(e.status)),
            "bytes": .number(Double(e.bytes)), "referer": e.referer.map { .string($0) } ?? .null,
            "ua": e.userAgent.map { .string($0) } ?? .null, "ms": .number((e.milliseconds * 1000).rounded() / 1000),
        ]))
    }

    /// `10/Oct/2000:13:55:36 +0000`.
    static func timeLocal(_ date: Date) -> String {
        let d = HTTPDate.format(date).split(separator: " ")
        return "\(d[1])/\(d[2])/\(d[3]):\(d[4]) +0000"
    }

    /// Quotes and control bytes escaped as nginx does (`\x22`), so a line cannot be forged.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F {
                out += String(format: "\\x%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
