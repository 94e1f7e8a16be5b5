import Foundation
import Synchronization

/// Time is injected so identity, sessions and tests are deterministic.
public protocol TrackerClock: Sendable {
    func now() -> Date
}

public struct SystemClock: TrackerClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Randomness is injected for the same reason; production uses the system generator.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
    /// 16 random bytes for an id, without an array (ids are minted on every request).
    func uuidBytes() -> uuid_t
}

extension RandomSource {
    public func uuidBytes() -> uuid_t {
        let b = bytes(16)
        return (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
    }
}

/// The kernel's generator, read 4 KiB at a time: ids are minted on every request, and one
/// `getrandom` call per byte (what `UInt8.random` does) showed up as 15 % of the hot path.
public final class SystemRandomSource: RandomSource {
    struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096
    }

    let pool = Mutex(Pool())

    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        withBytes(count) { Array($0) }
    }

    public func uuidBytes() -> uuid_t {
        withBytes(16) { raw in
            var out: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: raw) }
            return out
        }
    }

    /// Hands `count` unused bytes of the pool to `body`, refilling the pool first when it runs short.
    func withBytes<T: Sendable>(_ count: Int, _ body: @Sendable (UnsafeRawBufferPointer) -> T) -> T {
        pool.withLock { pool in
            if pool.next + count > pool.bytes.count {
                Self.fill(&pool.bytes)
                pool.next = 0
            }
            let start = pool.next
            pool.next += count
            return pool.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }
        }
    }

    static func fill(_ buffer: inout [UInt8]) {
        var filled = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            while filled < buffer.count {
                let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + filled, raw.count - filled) }
                if n > 0 { filled += n } else if errno != EINTR { break }
            }
        }
        if filled < buffer.count {
            var generator = SystemRandomNumberGenerator()
            for i in filled..<buffer.count { buffer[i] = UInt8.random(in: .min ... .max, using: &generator) }
        }
    }
}
