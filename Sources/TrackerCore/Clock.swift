import CLinux
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
    /// 8 random bytes, without an array: what a UUIDv7 needs besides its time.
    func word() -> UInt64
}

extension RandomSource {
    public func word() -> UInt64 {
        bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The kernel's generator, read 4 KiB at a time: ids are minted on every request, and one
/// `getrandom` call per byte (what `UInt8.random` does) showed up as 15 % of the hot path.
/// Read with `getrandom`: opening and closing `/dev/urandom` for each refill showed in the
/// profile of the pixel, and so did the kernel's generator itself, which is why a UUIDv7 takes
/// the 8 bytes it uses (`word`) rather than 16.
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

    public func word() -> UInt64 {
        withBytes(8) { $0.loadUnaligned(as: UInt64.self) }
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
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in getrandom(raw.baseAddress! + filled, raw.count - filled, 0) }
            if n > 0 { filled += n } else if errno != EINTR { break }
        }
        if filled < buffer.count {
            var generator = SystemRandomNumberGenerator()
            for i in filled..<buffer.count { buffer[i] = UInt8.random(in: .min ... .max, using: &generator) }
        }
    }
}
